"""The plan inside ``pulumi preview``: components warn about disruptive changes, from one shared live read.

Programs run under Pulumi's mock runtime in preview mode, against the real API server (and the simulator for
KubeVirt's defaults). The engine's log is recorded with the URN each message was attached to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from kubernetes.client import ApiClient
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.core.v1 import Secret

from pulumi_kubevirt import components
from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.components import preview
from pulumi_kubevirt.core.labels import COMPONENT_KEY
from pulumi_kubevirt.plan.state import LiveState
from pulumi_kubevirt.spec import StackContext
from pulumi_kubevirt.spec.fleet import load_fleet

from .story_kit import (
    PROJECT,
    SECRET_TEXT,
    Program,
    Run,
    basic_fleet,
    kvplan,
    rollout,
    server_side_apply,
)

STACK = "dev"
SEVERITIES = {
    engine_pb2.DEBUG: "debug",
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


@dataclass(frozen=True)
class Logged:
    severity: str
    message: str
    urn: str


class RecordingEngine:
    """The engine end of ``pulumi.log``: keeps each message with its severity and resource URN."""

    def __init__(self) -> None:
        self.logs: list[Logged] = []

    def Log(self, request: Any) -> None:
        self.logs.append(Logged(SEVERITIES.get(request.severity, "?"), request.message, request.urn))


class EchoMocks(mocks.Mocks):  # type: ignore[misc]
    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        return {}, None


class VmComponent(pulumi.ComponentResource):
    """A stand-in for the VirtualMachine component: children carry the compiled manifests, then the hook."""

    def __init__(self, name: str, manifests: Sequence[Mapping[str, Any]]) -> None:
        super().__init__("story:index:VirtualMachine", name)
        child = pulumi.ResourceOptions(parent=self)
        desired: list[Mapping[str, Any]] = []
        for m in manifests:
            resource_name = f"{name}-{m['kind']}-{m['metadata']['name']}"
            if m["kind"] == "Secret":
                string_data = pulumi.Output.secret(m["stringData"])
                Secret(resource_name, metadata=m["metadata"], string_data=string_data, opts=child)
                desired.append({**m, "stringData": string_data})
            else:
                CustomResource(
                    resource_name,
                    api_version=m["apiVersion"],
                    kind=m["kind"],
                    metadata=m["metadata"],
                    spec=m["spec"],
                    opts=child,
                )
                desired.append(m)
        preview.watch_preview(self, desired)
        self.register_outputs({})


@dataclass
class Preview:
    logs: list[Logged]
    error: BaseException | None
    reads: list[int] = field(default_factory=list)

    def of(self, severity: str) -> list[Logged]:
        return [log for log in self.logs if log.severity == severity]


def fleet_program(fleet: Mapping[str, Any], reads: list[int]) -> Callable[[], None]:
    """One component per compiled VM (its objects grouped by the component label), reads counted."""

    def program() -> None:
        read = preview.ClusterAccess.from_config().reader()

        def counting_reader(desired: Sequence[Mapping[str, Any]], project: str, stack: str) -> LiveState:
            reads.append(len(desired))
            return read(desired, project, stack)

        preview.current_planner(read=counting_reader)
        manifests = compile_fleet(load_fleet(fleet), StackContext(pulumi.get_project(), pulumi.get_stack()))
        by_component: dict[str, list[Mapping[str, Any]]] = {}
        for m in manifests:
            by_component.setdefault(m["metadata"]["labels"][COMPONENT_KEY], []).append(m)
        for name, owned in sorted(by_component.items()):
            VmComponent(name, owned)

    return program


def components_program(fleet: Mapping[str, Any], reads: list[int]) -> Callable[[], None]:
    """The repository's Fleet component from ``kubevirt:fleet``: each component calls ``watch_preview``."""
    del fleet

    def program() -> None:
        read = preview.ClusterAccess.from_config().reader()

        def counting_reader(desired: Sequence[Mapping[str, Any]], project: str, stack: str) -> LiveState:
            reads.append(len(desired))
            return read(desired, project, stack)

        preview.current_planner(read=counting_reader)
        components.Fleet("fleet", components.fleet_from_config(pulumi.Config("kubevirt")))

    return program


@contextlib.contextmanager
def _runtime(config: Mapping[str, str], *, dry_run: bool) -> Iterator[tuple[asyncio.AbstractEventLoop, Any]]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.reset_options(project=PROJECT, stack=STACK, preview=dry_run)
    runtime_config.set_all_config(dict(config), [])
    monitor = mocks.MockMonitor(EchoMocks())
    engine = RecordingEngine()
    settings.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=engine,
            project=PROJECT,
            stack=STACK,
            dry_run=dry_run,
            organization="organization",
            callbacks=None,
        )
    )
    try:
        yield loop, engine
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
        settings.reset_options()
        runtime_config.set_all_config({}, [])


ProgramFactory = Callable[[Mapping[str, Any], list[int]], Callable[[], None]]


def run_preview(
    fleet: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    kubeconfig: str,
    dry_run: bool = True,
    factory: ProgramFactory | None = None,
) -> Preview:
    """``pulumi preview`` of the fleet under the mock runtime (``dry_run=False``: ``up``'s apply phase)."""
    values = {"kubernetes:kubeconfig": kubeconfig}
    values.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    reads: list[int] = []
    with _runtime(values, dry_run=dry_run) as (loop, engine):
        error: BaseException | None = None
        try:
            loop.run_until_complete(run_in_stack((factory or fleet_program)(fleet, reads)))
        except Exception as caught:
            error = caught
        return Preview(engine.logs, error, reads)


@pytest.fixture
def applied(api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path) -> Program:
    program = Program(tmp_path / "fleet", STACK, basic_fleet(namespace)).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    return program


@pytest.fixture
def apply_fleet(
    api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path
) -> Callable[[Mapping[str, Any]], Program]:
    """Write a fleet's stack and apply it as ``pulumi up`` would, KubeVirt's defaults written."""

    def apply(fleet: Mapping[str, Any]) -> Program:
        program = Program(tmp_path / "fleet", STACK, dict(fleet)).write()
        server_side_apply(api_client, program.manifests())
        simulator.settle(namespace)
        return program

    return apply


@pytest.fixture
def kubeconfig(cluster: Any) -> str:
    return str(cluster.kubeconfig_path)


def urn_of(component: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack$story:index:VirtualMachine::{component}"


def test_an_unchanged_fleet_previews_silently_after_one_read(applied: Program, kubeconfig: str) -> None:
    result = run_preview(applied.fleet, {}, kubeconfig=kubeconfig)

    assert result.error is None
    assert result.of("warning") == []
    assert result.of("error") == []
    assert result.reads == [len(applied.manifests())]


def test_each_disruptive_change_is_one_warning_on_its_component(
    applied: Program, kubeconfig: str, namespace: str
) -> None:
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    applied.edit(["vms", "web", "cloud_init", "user_data"], "#cloud-config\npassword: changed-secret\n")

    result = run_preview(applied.fleet, {}, kubeconfig=kubeconfig)

    assert result.error is None
    assert len(result.reads) == 1
    warnings = sorted((log.urn, log.message) for log in result.of("warning"))
    expected = [
        (
            urn_of("db"),
            f"VirtualMachine {namespace}/db: spec.template.spec.domain.cpu.cores: 2 -> 4   # restart: ",
        ),
        (
            urn_of("web"),
            f"Secret {namespace}/web-cloudinit: data.userdata: (sensitive value changed)   "
            "# no-effect: cloud-init reads user data on first boot only",
        ),
    ]
    assert [urn for urn, _ in warnings] == [urn for urn, _ in expected]
    for (_, message), (_, start) in zip(warnings, expected, strict=True):
        assert message.startswith(start)
    for log in result.logs:
        assert "changed-secret" not in log.message
        assert SECRET_TEXT not in log.message


def test_allowed_impacts_stay_silent_and_warned_ones_can_be_silenced(
    api_client: ApiClient, applied: Program, kubeconfig: str
) -> None:
    applied.edit(["vms", "web", "cpu", "sockets"], 4)
    applied.edit(["vms", "db", "cpu", "cores"], 4)

    with rollout(api_client, "LiveUpdate"):
        silenced = run_preview(
            applied.fleet, {"kubevirt:disruption": {"restart": "allow"}}, kubeconfig=kubeconfig
        )
        by_default = run_preview(applied.fleet, {}, kubeconfig=kubeconfig)

    assert silenced.error is None
    assert silenced.of("warning") == []
    assert [log.urn for log in by_default.of("warning")] == [urn_of("db")]


def test_a_refused_impact_fails_the_preview_naming_resource_change_and_config_key(
    applied: Program, kubeconfig: str, namespace: str
) -> None:
    # The disk allows data loss, so only the stack's disruption policy stands in the way (without it, the
    # plan's data-loss error fails the preview first: test_a_disk_that_does_not_allow_data_loss_...).
    applied.edit(["disks", "db-data", "allow_data_loss"], True)
    applied.edit(["disks", "db-data", "source"], {"http": {"url": "https://images.example/db-data-2.qcow2"}})
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    policy = {"destroys-data": "fail", "restart": "warn"}

    result = run_preview(applied.fleet, {"kubevirt:disruption": policy}, kubeconfig=kubeconfig)

    assert isinstance(result.error, preview.DisruptionRefused)
    message = str(result.error)
    assert message.startswith("The disruption policy refuses changes in this plan (2 problems):\n")
    assert f"DataVolume {namespace}/db-data: + spec.source.http: " in message
    assert "; impact destroys-data, which kubevirt:disruption.destroys-data refuses." in message
    assert "pulumi config set --path 'kubevirt:disruption.destroys-data' warn" in message
    assert "cpu.cores" not in message
    refused = result.of("error")
    assert {log.urn for log in refused} == {urn_of("db-data")}
    starts = [
        f"refused by kubevirt:disruption.destroys-data: DataVolume {namespace}/db-data: + spec.source.http: "
        '{"url": "https://images.example/db-data-2.qcow2"}   # forces replacement: CDI rejects',
        f"refused by kubevirt:disruption.destroys-data: DataVolume {namespace}/db-data: - spec.source.blank: "
        "{}   # forces replacement: CDI rejects",
    ]
    messages = sorted(log.message for log in refused)
    assert len(messages) == len(starts)
    for message, start in zip(messages, starts, strict=True):
        assert message.startswith(start)
    assert [log.urn for log in result.of("warning")] == [urn_of("db")]


def test_an_unreachable_cluster_is_one_info_message_never_a_failure(applied: Program, tmp_path: Path) -> None:
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    unreachable = tmp_path / "unreachable.kubeconfig"
    unreachable.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: me, user: {token: not-a-real-token}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: me}}]\n",
        encoding="utf-8",
    )

    result = run_preview(
        applied.fleet, {"kubevirt:disruption": {"restart": "fail"}}, kubeconfig=str(unreachable)
    )

    assert result.error is None
    assert result.of("warning") == []
    assert result.of("error") == []
    (info,) = [log for log in result.of("info") if log.message.startswith("kubevirt:")]
    assert "cluster not readable" in info.message
    assert (
        "(Cannot reach the Kubernetes API server: GET /api/v1/namespaces on gone: failed 3 times"
        in info.message
    )
    assert "not-a-real-token" not in info.message


@pytest.mark.parametrize(
    ("config", "dry_run"),
    [
        pytest.param({"kubevirt:previewPlan": "false"}, True, id="previewPlan-false"),
        pytest.param({}, False, id="up-apply-phase"),
    ],
)
def test_no_plan_when_disabled_or_while_applying(
    applied: Program, kubeconfig: str, config: dict[str, Any], dry_run: bool
) -> None:
    applied.edit(["vms", "db", "cpu", "cores"], 4)

    result = run_preview(applied.fleet, config, kubeconfig=kubeconfig, dry_run=dry_run)

    assert result.error is None
    assert result.reads == []
    assert result.of("warning") == []


def test_a_malformed_disruption_policy_lists_every_problem(applied: Program, kubeconfig: str) -> None:
    policy = {"destroys-data": "refuse", "reboot": "warn", "restart": "fail"}

    result = run_preview(applied.fleet, {"kubevirt:disruption": policy}, kubeconfig=kubeconfig)

    assert isinstance(result.error, preview.PreviewConfigError)
    message = str(result.error)
    assert message.startswith("Invalid kubevirt:disruption (2 problems):\n")
    assert "  - kubevirt:disruption.destroys-data: 'refuse' is not a disposition." in message
    assert "  - kubevirt:disruption.reboot: 'reboot' is not an impact." in message
    assert result.reads == []


def test_the_fleet_components_share_one_read_and_warn_on_their_own_urns(
    applied: Program, kubeconfig: str, namespace: str
) -> None:
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    applied.edit(["disks", "db-data", "size"], "5Gi")
    config = {"kubevirt:fleet": applied.fleet}

    result = run_preview(applied.fleet, config, kubeconfig=kubeconfig, factory=components_program)

    # A shrink is an error at preview (issue 8): it fails the preview, on the Disk that asks for it.
    assert isinstance(result.error, preview.PlanErrors)
    assert result.reads == [len(applied.manifests())]
    warned = {log.urn.rsplit("$", 1)[-1]: log.message for log in result.of("warning")}
    assert sorted(warned) == [f"kubevirt:index:VirtualMachine::{namespace}/db"]
    assert warned[f"kubevirt:index:VirtualMachine::{namespace}/db"].startswith(
        f"VirtualMachine {namespace}/db: spec.template.spec.domain.cpu.cores: 2 -> 4   # restart: "
    )
    [shrink] = result.of("error")
    assert shrink.urn.endswith(f"kubevirt:index:Disk::{namespace}/db-data")
    assert shrink.message.startswith(
        f"DataVolume {namespace}/db-data spec.storage.resources.requests.storage: "
    )
    assert "Change rejected by the API server." in shrink.message
    assert "Keep the size at 10Gi or more" in shrink.message
    assert "Keep the size at 10Gi or more" in str(result.error)


def test_objects_removed_from_the_code_are_reported_on_the_stack(
    applied: Program, kubeconfig: str, namespace: str
) -> None:
    del applied.fleet["vms"]["db"]

    result = run_preview(
        applied.fleet, {"kubevirt:disruption": {"destroys-data": "fail"}}, kubeconfig=kubeconfig
    )

    assert isinstance(result.error, preview.DisruptionRefused)
    message = str(result.error)
    assert f"DataVolume {namespace}/db-root: delete, DESTROYS DATA; impact destroys-data, which " in message
    (stack_warning,) = result.of("warning")
    assert stack_warning.urn == ""
    assert stack_warning.message.startswith(f"VirtualMachine {namespace}/db: delete, restart required")
    assert [log.urn for log in result.of("error")] == [""]


# --- one gate and one wording with kvplan plan ---------------------------------------------------


def kvplan_for(program: Program, kubeconfig: str, *extra: str) -> Run:
    return kvplan("plan", str(program.directory), "--stack", STACK, "--kubeconfig", kubeconfig, *extra)


def listed_problems(message: str) -> list[str]:
    """The problem lines of a message in the one error shape (title line, then ``  - `` lines)."""
    return sorted(line for line in message.splitlines() if line.startswith("  - "))


@pytest.mark.parametrize(
    ("policy", "refuses"),
    [
        pytest.param({"destroys-data": "fail", "restart": "warn"}, True, id="destroys-data-fail"),
        pytest.param({"restart": "fail"}, True, id="restart-fail"),
        pytest.param({"restart": "allow", "destroys-data": "warn"}, False, id="nothing-fails"),
    ],
)
def test_the_preview_and_kvplan_plan_gate_the_same_change_the_same_way(
    applied: Program, kubeconfig: str, policy: dict[str, str], refuses: bool
) -> None:
    applied.edit(["disks", "db-data", "allow_data_loss"], True)  # the policy alone decides
    applied.edit(["disks", "db-data", "source"], {"http": {"url": "https://images.example/db-data-2.qcow2"}})
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    applied.extra_config = {"kubevirt:disruption": policy}
    applied.write()

    previewed = run_preview(
        applied.fleet,
        {"kubevirt:fleet": applied.fleet, "kubevirt:disruption": policy},
        kubeconfig=kubeconfig,
        factory=components_program,
    )
    planned = kvplan_for(applied, kubeconfig)

    assert planned.code == (3 if refuses else 0), planned.err
    if not refuses:
        assert previewed.error is None
        assert planned.err == ""
        return
    assert isinstance(previewed.error, preview.DisruptionRefused)
    assert listed_problems(planned.err) == listed_problems(str(previewed.error))
    assert planned.err.splitlines()[0] == str(previewed.error).splitlines()[0]
    refused_impacts = {impact for impact, disposition in policy.items() if disposition == "fail"}
    for impact in refused_impacts:
        assert f"which kubevirt:disruption.{impact} refuses" in planned.err


def test_a_change_reads_the_same_in_kvplan_plan_and_in_the_preview(
    applied: Program, kubeconfig: str, namespace: str
) -> None:
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    applied.edit(["vms", "web", "cloud_init", "user_data"], "#cloud-config\npassword: changed-secret\n")
    applied.edit(["disks", "db-data", "size"], "5Gi")

    previewed = run_preview(
        applied.fleet, {"kubevirt:fleet": applied.fleet}, kubeconfig=kubeconfig, factory=components_program
    )
    planned = kvplan_for(applied, kubeconfig)

    plan_lines = [line.strip() for line in planned.out.splitlines()]
    # The shrink is an error (it fails the preview); the other changes are warnings.
    assert isinstance(previewed.error, preview.PlanErrors)
    warnings = [log.message for log in (*previewed.of("warning"), *previewed.of("error"))]
    assert len(warnings) >= 3, warnings
    for message in warnings:
        if " spec.storage.resources.requests.storage: Change rejected" in message:
            assert f"x {message}" in plan_lines  # an API error: the same line, kvplan marks it with x
            continue
        where, change = message.split(": ", 1)
        assert change in plan_lines, (message, planned.out)
        assert any(line.endswith(where) or f" {where} " in line for line in plan_lines), where
    by_object = {message.split(": ", 1)[0] for message in warnings}
    assert {f"VirtualMachine {namespace}/db", f"Secret {namespace}/web-cloudinit"} <= by_object
    assert any("Change rejected by the API server" in m for m in warnings), warnings
    assert any(
        f"VirtualMachine {namespace}/db: spec.template.spec.domain.cpu.cores: 2 -> 4   # " in m
        for m in warnings
    )


def test_a_disk_that_does_not_allow_data_loss_fails_the_preview_naming_disk_field_and_option(
    applied: Program, kubeconfig: str, namespace: str
) -> None:
    """The same error kvplan plan gives (exit 1), before Pulumi's protect would refuse it at apply time."""
    applied.edit(["disks", "db-data", "source"], {"http": {"url": "https://images.example/db-data-2.qcow2"}})

    previewed = run_preview(
        applied.fleet, {"kubevirt:fleet": applied.fleet}, kubeconfig=kubeconfig, factory=components_program
    )
    planned = kvplan_for(applied, kubeconfig)

    assert isinstance(previewed.error, preview.PlanErrors)
    [logged] = previewed.of("error")
    assert logged.urn.endswith(f"kubevirt:index:Disk::{namespace}/db-data")
    for text in (logged.message, str(previewed.error), planned.out):
        assert f"Disk db-data (DataVolume {namespace}/db-data): changing spec.source." in text
        assert "set allow_data_loss: true on disk db-data" in text
    assert planned.code == 1


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            (
                "fixed-size",
                "The disk cannot grow: storage class fixed-size has no allowVolumeExpansion: true.",
            ),
            id="class-without-expansion",
        ),
        pytest.param(
            (
                "gone",
                "The disk cannot grow safely: storage class gone is not in the cluster (or cannot be read)",
            ),
            id="class-the-cluster-cannot-tell",
        ),
    ],
)
def test_a_disk_that_cannot_grow_fails_the_preview_with_a_fix(
    apply_fleet: Callable[[Mapping[str, Any]], Program],
    namespace: str,
    kubeconfig: str,
    case: tuple[str, str],
) -> None:
    storage_class, expected = case
    fleet = basic_fleet(namespace)
    fleet["disks"]["db-data"]["storage_class"] = storage_class
    program = apply_fleet(fleet)
    program.edit(["disks", "db-data", "size"], "20Gi")

    previewed = run_preview(
        program.fleet, {"kubevirt:fleet": program.fleet}, kubeconfig=kubeconfig, factory=components_program
    )

    assert isinstance(previewed.error, preview.PlanErrors)
    [logged] = previewed.of("error")
    assert logged.urn.endswith(f"kubevirt:index:Disk::{namespace}/db-data")
    assert expected in logged.message
    assert "or keep the size at 10Gi." in logged.message


def test_a_disk_that_can_grow_previews_without_an_error(applied: Program, kubeconfig: str) -> None:
    applied.edit(["disks", "db-data", "size"], "20Gi")

    previewed = run_preview(
        applied.fleet,
        {"kubevirt:fleet": applied.fleet, "kubevirt:disruption": {"live": "warn"}},
        kubeconfig=kubeconfig,
        factory=components_program,
    )

    assert previewed.error is None
    assert previewed.of("error") == []
    [grow] = previewed.of("warning")
    assert 'spec.storage.resources.requests.storage: "10Gi" -> "20Gi"   # live: the claim grows in place' in (
        grow.message
    )
    assert "inside the guest, extend the partition and filesystem" in grow.message


def test_a_restart_an_earlier_apply_left_is_a_preview_warning(
    applied: Program, api_client: ApiClient, simulator: Any, namespace: str, kubeconfig: str
) -> None:
    """More cores applied (defer): the VM runs the old configuration; the next preview says so, once."""
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    server_side_apply(api_client, applied.manifests())
    simulator.settle(namespace)

    previewed = run_preview(
        applied.fleet, {"kubevirt:fleet": applied.fleet}, kubeconfig=kubeconfig, factory=components_program
    )

    assert previewed.error is None
    [pending] = previewed.of("warning")
    assert pending.urn.endswith(f"kubevirt:index:VirtualMachine::{namespace}/db")
    assert pending.message.startswith(f"VirtualMachine {namespace}/db: restart pending since ")
    assert "(RestartRequired: a non-live-updatable field was changed in the template spec)" in pending.message
    assert "Pending restarts left by an earlier apply:" in kvplan_for(applied, kubeconfig).out
