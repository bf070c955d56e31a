"""One dynamic resource that waits for a set of VMs, restarts those whose policy says so, and reports guests.

Why one resource for many VMs: the Python dynamic-provider host runs at most four operations at once for the
whole deployment (DESIGN.md section 6), so a resource per VM would serialise a fleet's waits. A ``Fleet``
makes one for all its VMs; a standalone ``VirtualMachine`` makes its own.

Rules the provider keeps (DESIGN.md section 6): its import path, ``pulumi_kubevirt.components.
guest_readiness.GuestReadinessProvider``, is pickled into every stack's state by reference: never move or
rename it; new attributes get class-level defaults; it holds no client or credential (each operation opens
its own from the ``kubeconfig`` input, a secret, or the environment); ``diff`` sends no detailed diff and
``update`` returns every output; ``check`` refuses, at preview, a change that needs a restart of a running VM
whose ``restart_policy`` is ``fail``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi
from pulumi import dynamic

from pulumi_kubevirt.components.preview import ClusterAccess
from pulumi_kubevirt.live.guests import GuestDoor, wait_for_guests
from pulumi_kubevirt.plan.readiness import (
    RestartAction,
    WaitTarget,
    applied_restart_fields,
    guest_info,
    refusal_reason,
    restart_action,
)
from pulumi_kubevirt.spec import IpFamily, RestartPolicy, VirtualMachineArgs, WaitFor

Manifest = Mapping[str, Any]
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_SIG_KEY = "4dabf18193072939515e22adb298388d"


def _plain(value: Any) -> Any:
    """A value with Pulumi's secret wrapper removed (the host hands secrets to providers wrapped)."""
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _plain(value.get("value"))
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def readiness_key(manifest: Manifest) -> str:
    """How entries and ``guests`` name a VM: the manifest's own ``namespace/name``."""
    metadata = manifest["metadata"]
    return f"{metadata['namespace']}/{metadata['name']}"


def vm_entry(args: VirtualMachineArgs, manifest: Manifest) -> dict[str, Any]:
    """The input that describes one VM to the provider: what to wait for, the restart policy, the manifest.

    ``args`` and ``manifest`` are plain (resolved) values.
    """
    return {
        "key": readiness_key(manifest),
        "wait_for": args.wait_for.value,
        "interface": args.wait_interface,
        "family": args.wait_ip_family.value if args.wait_ip_family is not None else None,
        "cidr": args.wait_ip_cidr,
        "timeout_seconds": args.wait_timeout_seconds,
        "restart_policy": args.restart_policy.value,
        "manifest": dict(manifest),
    }


def _target(
    entry: Mapping[str, Any], after_vmi_uid: str | None = None, *, restarted: bool = False
) -> WaitTarget:
    namespace, _, name = str(entry["key"]).partition("/")
    wait_for = WaitFor(entry.get("wait_for") or WaitFor.RUNNING)
    return WaitTarget(
        namespace=namespace,
        name=name,
        wait_for=WaitFor.RUNNING if restarted and wait_for is WaitFor.NONE else wait_for,
        interface=str(entry.get("interface") or "default"),
        family=IpFamily(entry["family"]) if entry.get("family") else None,
        cidr=entry.get("cidr") or None,
        after_vmi_uid=after_vmi_uid,
    )


class GuestReadinessProvider(dynamic.ResourceProvider):
    """Waits, restarts, reports. Pickled by reference: keep this import path and name forever."""

    poll_seconds: ClassVar[float] = 2.0
    """Seconds between looks at the cluster (one LIST of VMs and of VMIs per namespace each)."""

    # --- the engine's calls ------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        failures = [
            dynamic.CheckFailure("vms", reason) for reason in self._refusals(_plain(olds), _plain(news))
        ]
        return dynamic.CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = _plain(olds.get("vms")) != _plain(news.get("vms"))
        return dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        inputs = _plain(props)
        guests = self._apply(inputs, previous={})
        return dynamic.CreateResult(_resource_id(inputs), _outputs(inputs, guests))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        inputs = _plain(news)
        previous = {str(e["key"]): e for e in _plain(olds).get("vms") or []}
        pending = (_plain(olds).get("guests") or {}) if isinstance(olds.get("guests"), Mapping) else {}
        guests = self._apply(inputs, previous=previous, pending=pending)
        return dynamic.UpdateResult(_outputs(inputs, guests))

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        state = _plain(props)
        door = _door(state)
        entries = list(state.get("vms") or [])
        view = door.look([str(e["key"]).partition("/")[0] for e in entries])
        old_guests = state.get("guests") or {}
        guests = {}
        for entry in entries:
            key = str(entry["key"])
            info = guest_info(view.vms.get(key), view.vmis.get(key))
            pending = (old_guests.get(key) or {}).get("pending_restart")
            guests[key] = {**info.output(), "pending_restart": _still_pending(pending, info.restart_required)}
        inputs = {key: value for key, value in state.items() if key not in ("guests", "__provider")}
        return dynamic.ReadResult(id_, _outputs(inputs, guests), inputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete: the VMs are pulumi-kubernetes' children; this resource only observed them."""

    # --- the work -----------------------------------------------------------------------------------------

    def _refusals(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """``restart_policy: fail`` entries whose change needs a restart of their running VM (by the plan)."""
        previous = {str(e["key"]): e for e in olds.get("vms") or [] if isinstance(e, Mapping)}
        candidates = [
            e
            for e in news.get("vms") or []
            if isinstance(e, Mapping)
            and e.get("restart_policy") == RestartPolicy.FAIL
            and str(e.get("key")) in previous
            and _known(e.get("manifest"))
        ]
        if not candidates:
            return []
        try:
            door = _door(news)
            view = door.look([str(e["key"]).partition("/")[0] for e in candidates])
            kubevirt = door.kubevirt()
        except Exception:  # a preview works without the cluster (its plan step says so): no verdict
            return []
        reasons = []
        for entry in candidates:
            key = str(entry["key"])
            fields = applied_restart_fields(
                previous[key].get("manifest"),
                entry["manifest"],
                live_vm=view.vms.get(key),
                live_vmi=view.vmis.get(key),
                kubevirt=kubevirt,
            )
            running = key in view.vmis
            if restart_action(RestartPolicy.FAIL, fields, running=running) is RestartAction.REFUSE:
                reasons.append(refusal_reason(key, fields))
        return reasons

    def _apply(
        self,
        inputs: Mapping[str, Any],
        *,
        previous: Mapping[str, Mapping[str, Any]],
        pending: Mapping[str, Any] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Classify what was applied, restart where the policy says so, wait for all, return the guests."""
        entries = [e for e in inputs.get("vms") or [] if isinstance(e, Mapping)]
        door = _door(inputs)
        view = door.look([str(e["key"]).partition("/")[0] for e in entries])
        kubevirt = door.kubevirt() if previous else None
        pending_fields: dict[str, tuple[str, ...]] = {}
        restart_from: dict[str, str | None] = {}
        methods: dict[str, str] = {}
        for entry in entries:
            key = str(entry["key"])
            vm, vmi = view.vms.get(key), view.vmis.get(key)
            fields = applied_restart_fields(
                (previous.get(key) or {}).get("manifest"),
                entry["manifest"],
                live_vm=vm,
                live_vmi=vmi,
                kubevirt=kubevirt,
            )
            # A restart left pending by an earlier apply stays pending while KubeVirt still says so.
            carried = ((pending or {}).get(key) or {}).get("pending_restart") or {}
            still = guest_info(vm, vmi).restart_required is not None
            earlier = set(carried.get("fields") or ()) if still else set()
            fields = tuple(sorted(set(fields) | earlier)) if vmi is not None else ()
            action = restart_action(
                RestartPolicy(entry.get("restart_policy") or "defer"), fields, running=True
            )
            if action is RestartAction.RESTART and vm is not None:
                methods[key] = door.restart(vm)
                restart_from[key] = str((vmi or {}).get("metadata", {}).get("uid") or "")
            elif fields:
                pending_fields[key] = fields
        # A restarted VM is waited for at least until it is Ready again, whatever its wait_for says.
        targets = [
            _target(e, restart_from.get(str(e["key"])), restarted=str(e["key"]) in restart_from)
            for e in entries
        ]
        timeout = max((int(e.get("timeout_seconds") or 600) for e in entries), default=600)
        outcome = wait_for_guests(door, targets, timeout_s=timeout, poll_s=self.poll_seconds)
        guests: dict[str, dict[str, Any]] = {}
        for entry in entries:
            key = str(entry["key"])
            info = outcome.guests[key]
            if info.agent_connected:
                info = _with_hostname(info, door, key)
            fields = pending_fields.get(key, ())
            message = info.restart_required
            pending_restart = (
                {"fields": list(fields), "message": message} if fields or message is not None else None
            )
            guests[key] = {
                **info.output(),
                "pending_restart": pending_restart,
                "restarted": key in restart_from,
                "restart_method": methods.get(key),
            }
        return guests


def _with_hostname(info: Any, door: GuestDoor, key: str) -> Any:
    import dataclasses

    namespace, _, name = key.partition("/")
    return dataclasses.replace(info, hostname=door.hostname(namespace, name))


def _still_pending(pending: Any, message: str | None) -> Any:
    """A pending restart stays while KubeVirt still reports RestartRequired (a restart clears it)."""
    if message is None:
        return None
    fields = list((pending or {}).get("fields") or []) if isinstance(pending, Mapping) else []
    return {"fields": fields, "message": message}


def _known(value: Any) -> bool:
    """False when a preview left part of the value unknown (the host marks it with the unknown sentinel)."""
    from pulumi.runtime import rpc

    if value == rpc.UNKNOWN:
        return False
    if isinstance(value, Mapping):
        return all(_known(item) for item in value.values())
    if isinstance(value, list):
        return all(_known(item) for item in value)
    return True


def _door(inputs: Mapping[str, Any]) -> GuestDoor:
    access = ClusterAccess(str(inputs.get("kubeconfig") or ""), str(inputs.get("context") or ""))
    return GuestDoor(access.api_client())


def _resource_id(inputs: Mapping[str, Any]) -> str:
    keys = sorted(str(e["key"]) for e in inputs.get("vms") or [])
    return "guests-" + hashlib.sha256(json.dumps(keys).encode()).hexdigest()[:16]


def _outputs(inputs: Mapping[str, Any], guests: Mapping[str, Any]) -> dict[str, Any]:
    """Every output (``update`` must return them all): the inputs but the credentials, and the guests."""
    kept = {key: value for key, value in inputs.items() if key not in ("kubeconfig", "__provider")}
    return {**kept, "guests": dict(sorted(guests.items()))}


class GuestReadiness(dynamic.Resource):
    """Waits for the VMs of ``entries`` (:func:`vm_entry`, each a plain dict or an Output of one) and reports
    their guests.

    ``guests`` maps ``namespace/name`` to printable status, node, IP addresses per interface, guest OS,
    agent hostname, ``pending_restart`` (the fields and KubeVirt's RestartRequired message) and ``restarted``.
    """

    guests: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        entries: Sequence[pulumi.Input[dict[str, Any]]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        access = ClusterAccess.from_config()
        props: dict[str, Any] = {
            "vms": list(entries),
            "kubeconfig": pulumi.Output.secret(access.kubeconfig) if access.kubeconfig else None,
            "context": access.context or None,
            "guests": None,
        }
        super().__init__(
            GuestReadinessProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["kubeconfig"])
            ),
        )
