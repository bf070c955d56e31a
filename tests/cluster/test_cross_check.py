"""The plan against the simulator: each planner case applied to a running VM on the real API server.

The plan engine and the simulator read KubeVirt v1.9.0 independently (import-linter keeps the simulator away
from the plan). This test keeps them honest with each other: for every planner case that changes a running VM
(``tests/unit/plan/test_planner.py`` ``CASES``), under each cluster setting that matters (rollout strategy,
workload update methods), it plans the change against what the cluster holds, applies it as ``pulumi up``
would, lets the simulator settle, and checks that what KubeVirt did matches what the plan said:

- plan ``restart`` (or worse): the VM got ``RestartRequired``, or its VMI was stopped or evicted and started
  again, or the hot-plug waits on a VMI condition because no workload update method can carry it out (KubeVirt
  writes no RestartRequired then, but the guest only gets the change at its next start);
- plan ``live-migration``: a workload-update VirtualMachineInstanceMigration completed and nothing else;
- anything milder: the same VMI runs on, unmigrated, with no RestartRequired.

All cases of one cluster setting share one namespace and one settle, each case with its own VM, disks and
stack labels, so a setting costs one import of every disk, not one per case.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from pulumi_kubevirt.core.labels import stack_labels
from pulumi_kubevirt.live.reader import read_live
from pulumi_kubevirt.plan.model import Impact
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.state import ObjectKey
from pulumi_kubevirt_devcluster.simulator import Simulator
from unit.plan import builders as b
from unit.plan.test_planner import CASES

from .story_kit import KUBEVIRT_CR, patch, server_side_apply

Manifest = dict[str, Any]
HOTPLUG_CONDITIONS = ("HotVCPUChange", "HotMemoryChange", "MigrationRequired")
PLANNER_CASES = {case.id: case for case in CASES}


class Observed(enum.StrEnum):
    """What KubeVirt (the simulator) visibly did to the running VM after the change settled."""

    IN_PLACE = "in place"
    MIGRATED = "migrated"
    RESTART_REQUIRED = "RestartRequired"
    HOTPLUG_WAITING = "hot-plug waiting for a migration that no workload update method allows"
    RESTARTED = "stopped or evicted, then started again"
    STOPPED = "stopped"


def expected_outcomes(impact: Impact) -> frozenset[Observed]:
    """What KubeVirt may visibly do for a change the plan rates ``impact``."""
    if impact >= Impact.RESTART:
        return frozenset(
            {Observed.RESTART_REQUIRED, Observed.HOTPLUG_WAITING, Observed.RESTARTED, Observed.STOPPED}
        )
    if impact is Impact.LIVE_MIGRATION:
        return frozenset({Observed.MIGRATED})
    return frozenset({Observed.IN_PLACE})


@dataclass(frozen=True)
class ClusterSetting:
    """The KubeVirt CR's ``vmRolloutStrategy`` (None: unset) and ``workloadUpdateMethods``."""

    id: str
    rollout: str | None
    methods: tuple[str, ...]


SETTINGS = (
    ClusterSetting("live-update/live-migrate", "LiveUpdate", ("LiveMigrate",)),
    ClusterSetting("live-update/no-methods", "LiveUpdate", ()),
    ClusterSetting("live-update/evict", "LiveUpdate", ("Evict",)),
    ClusterSetting("stage/live-migrate", "Stage", ("LiveMigrate",)),
    ClusterSetting("unset/live-migrate", None, ("LiveMigrate",)),
)


def _someone_adds_a_hostname(api_client: ApiClient, vm: Mapping[str, Any]) -> None:
    """Another field manager edits the template, so a restart is pending that our apply does not undo."""
    patch(api_client, vm, {"spec": {"template": {"spec": {"hostname": "edited"}}}}, "kubectl-edit")


def _with_bridge_nic() -> list[Manifest]:
    """A bridge NIC on a Multus network added to the running VM: the policy's interface hot-plug row."""
    desired = [*b.stack(), b.network()]
    template = desired[2]["spec"]["template"]["spec"]
    template["domain"]["devices"]["interfaces"].append({"name": "vlan10", "bridge": {}})
    template["networks"].append({"name": "vlan10", "multus": {"networkName": "vlan10"}})
    return desired


def _with_bridge_nic_unplugged() -> list[Manifest]:
    """The bridge NIC set to ``state: absent``: the policy's interface unplug row."""
    desired = _with_bridge_nic()
    desired[2]["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][-1]["state"] = "absent"
    return desired


@dataclass(frozen=True)
class CrossCase:
    """A change to replay on the cluster, from a planner case (``id`` names it) or, for a policy row the
    planner's cases do not reach, built here; the root disk's ``access_mode`` decides live-migratability."""

    id: str
    access_mode: str = "ReadWriteMany"
    prepare: Callable[[ApiClient, Mapping[str, Any]], None] | None = None
    desired: Callable[[], list[Manifest]] | None = None
    initial: Callable[[], list[Manifest]] = b.stack

    def changed(self) -> list[Manifest]:
        return self.desired() if self.desired is not None else PLANNER_CASES[self.id].desired()

    @property
    def key(self) -> ObjectKey:
        return PLANNER_CASES[self.id].key if self.desired is None else VM_KEY


VM_KEY = ObjectKey("kubevirt.io", "VirtualMachine", b.NS, "web")
CROSS_CASES = (
    CrossCase("sockets-up-within-max-live-update"),
    CrossCase("sockets-up-beyond-max"),
    CrossCase("sockets-down-restarts"),
    CrossCase("sockets-vmi-not-migratable", access_mode="ReadWriteOnce"),
    CrossCase("cores-restart"),
    CrossCase("memory-up-within-max-guest"),
    CrossCase("live-update-node-selector-live"),
    CrossCase("restart-already-pending", prepare=_someone_adds_a_hostname),
    CrossCase("template-label-no-effect"),
    CrossCase("unknown-template-path-restart"),
    CrossCase("run-strategy-halt-running-vm"),
    CrossCase("hotplug-volume-added-live"),
    CrossCase("plain-disk-added-restart"),
    CrossCase("cloud-init-secret-change-no-effect"),
    CrossCase("extra-memory-not-2mi-aligned", desired=lambda: b.stack(memory="2049Mi")),
    CrossCase("extra-bridge-nic-hotplug", desired=_with_bridge_nic),
    CrossCase("extra-bridge-nic-unplug", initial=_with_bridge_nic, desired=_with_bridge_nic_unplugged),
    CrossCase(
        "extra-hotplug-volume-while-restart-pending",
        prepare=_someone_adds_a_hostname,
        desired=PLANNER_CASES["hotplug-volume-added-live"].desired,
    ),
)


def _vm_name(index: int) -> str:
    return f"vm{index}"


def _for_case(
    manifests: Sequence[Mapping[str, Any]], index: int, namespace: str, access_mode: str
) -> list[Manifest]:
    """The planner's objects (one VM called ``web``, its disks and Secret) renamed for this case, in our
    namespace, under this case's own stack labels; the root disk gets ``access_mode``."""
    text = json.dumps(list(manifests)).replace('"web', f'"{_vm_name(index)}')
    renamed: list[Manifest] = json.loads(text)
    for manifest in renamed:
        manifest["metadata"]["namespace"] = namespace
        manifest["metadata"]["labels"] = {**stack_labels(b.PROJECT, _stack(index))}
        if manifest["kind"] == "DataVolume" and manifest["metadata"]["name"].endswith("-root"):
            manifest["spec"]["storage"]["accessModes"] = [access_mode]
    return renamed


def _stack(index: int) -> str:
    return f"case{index}"


def _key(planner_key: ObjectKey, index: int, namespace: str) -> ObjectKey:
    name = planner_key.name.replace("web", _vm_name(index), 1)
    return ObjectKey(planner_key.group, planner_key.kind, namespace, name)


@dataclass
class Replay:
    """One cross case on the cluster: what the plan said, what the simulator did."""

    impact: Impact = Impact.NONE
    reasons: tuple[str, ...] = ()
    observed: Observed = Observed.IN_PLACE
    before: Manifest = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def _custom(api_client: ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api_client)


def _get(api_client: ApiClient, plural: str, namespace: str, name: str) -> Manifest | None:
    try:
        return cast(
            Manifest,
            _custom(api_client).get_namespaced_custom_object("kubevirt.io", "v1", namespace, plural, name),
        )
    except ApiException as error:
        if error.status == 404:
            return None
        raise


def _conditions(obj: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {c["type"]: c for c in (obj or {}).get("status", {}).get("conditions", [])}


def _observe(
    api_client: ApiClient, namespace: str, name: str, before: Manifest
) -> tuple[Observed, dict[str, Any]]:
    """What happened, most visible first. A change that reached the same VMI's spec and waits for nothing
    counts as in place even while RestartRequired stands for something else (a restart already pending)."""
    vm = _get(api_client, "virtualmachines", namespace, name)
    vmi = _get(api_client, "virtualmachineinstances", namespace, name)
    answer = _custom(api_client).list_namespaced_custom_object(
        "kubevirt.io", "v1", namespace, "virtualmachineinstancemigrations"
    )
    migrated = [
        m
        for m in cast(Manifest, answer)["items"]
        if m["spec"].get("vmiName") == name and m.get("status", {}).get("phase") == "Succeeded"
    ]
    restart = _conditions(vm).get("RestartRequired", {})
    waiting = [c for c in HOTPLUG_CONDITIONS if _conditions(vmi).get(c, {}).get("status") == "True"]
    replaced = vmi is not None and vmi["metadata"]["uid"] != before["metadata"]["uid"]
    spec_changed = vmi is not None and vmi["spec"] != before["spec"]
    details = {
        "restart_required": restart.get("message"),
        "migrations": len(migrated),
        "hotplug_conditions": waiting,
        "vmi_replaced": replaced,
        "vmi_spec_changed": spec_changed,
    }
    if vmi is None:
        return Observed.STOPPED, details
    if replaced:
        return Observed.RESTARTED, details
    if migrated:
        return Observed.MIGRATED, details
    if waiting:
        return Observed.HOTPLUG_WAITING, details
    if not spec_changed and restart.get("status") == "True":
        return Observed.RESTART_REQUIRED, details
    return Observed.IN_PLACE, details


class Replays:
    """Runs each cluster setting once, on first use, and keeps what every case did under it."""

    def __init__(self, api_client: ApiClient) -> None:
        self._api_client = api_client
        self._done: dict[str, dict[str, Replay]] = {}
        self._namespaces: list[str] = []

    def of(self, setting: ClusterSetting) -> dict[str, Replay]:
        if setting.id not in self._done:
            self._done[setting.id] = self._replay(setting)
        return self._done[setting.id]

    def close(self) -> None:
        core = client.CoreV1Api(self._api_client)
        for namespace in self._namespaces:
            core.delete_namespace(namespace)

    def _replay(self, setting: ClusterSetting) -> dict[str, Replay]:
        api_client = self._api_client
        namespace = f"cross-{len(self._namespaces)}-{setting.id.replace('/', '-')}"
        client.CoreV1Api(api_client).create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace))
        )
        self._namespaces.append(namespace)
        simulator = Simulator(api_client)
        replays = {case.id: Replay() for case in CROSS_CASES}
        with _kubevirt_configured(api_client, setting):
            for index, case in enumerate(CROSS_CASES):
                server_side_apply(api_client, _for_case(case.initial(), index, namespace, case.access_mode))
            simulator.settle(namespace, max_passes=30)
            for index, case in enumerate(CROSS_CASES):
                if case.prepare is not None:
                    (vm,) = [
                        m
                        for m in _for_case(case.initial(), index, namespace, case.access_mode)
                        if m["kind"] == "VirtualMachine"
                    ]
                    case.prepare(api_client, vm)
            simulator.settle(namespace, max_passes=30)
            changes: list[list[Manifest]] = []
            for index, case in enumerate(CROSS_CASES):
                desired = _for_case(case.changed(), index, namespace, case.access_mode)
                changes.append(desired)
                live = read_live(api_client, desired, project=b.PROJECT, stack=_stack(index))
                plan = make_plan(desired, live, project=b.PROJECT, stack=_stack(index))
                (resource,) = [r for r in plan.resources if r.key == _key(case.key, index, namespace)]
                replay = replays[case.id]
                replay.impact = resource.impact
                replay.reasons = tuple(change.reason for change in resource.changes)
                vmi = _get(api_client, "virtualmachineinstances", namespace, _vm_name(index))
                assert vmi is not None, f"{case.id}: the VM is not running before the change"
                replay.before = vmi
            for desired in changes:
                server_side_apply(api_client, desired)
            simulator.settle(namespace, max_passes=30)
            for index, case in enumerate(CROSS_CASES):
                replay = replays[case.id]
                replay.observed, replay.details = _observe(
                    api_client, namespace, _vm_name(index), replay.before
                )
        return replays


@contextlib.contextmanager
def _kubevirt_configured(api_client: ApiClient, setting: ClusterSetting) -> Iterator[None]:
    """Set the KubeVirt CR for one setting (``None`` removes vmRolloutStrategy), restore it afterwards."""
    before = cast(
        Manifest,
        _custom(api_client).get_namespaced_custom_object(
            "kubevirt.io", "v1", "kubevirt", "kubevirts", "kubevirt"
        ),
    )
    spec = before["spec"]
    update = {
        "spec": {
            "configuration": {"vmRolloutStrategy": setting.rollout},
            "workloadUpdateStrategy": {"workloadUpdateMethods": list(setting.methods)},
        }
    }
    patch(api_client, KUBEVIRT_CR, update, "kubectl-edit")
    try:
        yield
    finally:
        restore = {
            "spec": {
                "configuration": {
                    "vmRolloutStrategy": spec.get("configuration", {}).get("vmRolloutStrategy")
                },
                "workloadUpdateStrategy": {
                    "workloadUpdateMethods": copy.deepcopy(
                        spec.get("workloadUpdateStrategy", {}).get("workloadUpdateMethods")
                    )
                },
            }
        }
        patch(api_client, KUBEVIRT_CR, restore, "kubectl-edit")


@pytest.fixture(scope="module")
def replays(api_client: ApiClient) -> Iterator[Replays]:
    found = Replays(api_client)
    try:
        yield found
    finally:
        found.close()


PLAN_IS_WRONG: dict[tuple[str, str], str] = {}
"""(setting, case) pairs where the plan contradicts KubeVirt v1.9.0, each naming the upstream code (marked as
strict expected failures). Empty since the facts audit: the fifteen pairs listed here before (an unset rollout
strategy, hot-plug under Stage or with a restart pending, unaligned memory) now plan as KubeVirt behaves."""


def _params() -> list[Any]:
    params = []
    for setting in SETTINGS:
        for case in CROSS_CASES:
            reason = PLAN_IS_WRONG.get((setting.id, case.id))
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
            params.append(pytest.param(setting, case, id=f"{setting.id}:{case.id}", marks=marks))
    return params


@pytest.mark.parametrize(("setting", "case"), _params())
def test_the_plan_says_what_kubevirt_does(replays: Replays, setting: ClusterSetting, case: CrossCase) -> None:
    replay = replays.of(setting)[case.id]
    expected = expected_outcomes(replay.impact)
    assert replay.observed in expected, (
        f"the plan says {replay.impact} ({'; '.join(replay.reasons)}), "
        f"but the simulator shows: {replay.observed} {replay.details}"
    )


def test_every_cross_case_names_a_planner_case_with_a_running_vm() -> None:
    """The table above follows the planner's: a renamed or dropped planner case fails here, not silently."""
    for case in CROSS_CASES:
        if case.desired is None:
            live = PLANNER_CASES[case.id].live()
            assert any(o["kind"] == "VirtualMachineInstance" for o in live), case.id
