"""``snapshot_before``: a VirtualMachineSnapshot taken before an apply that restarts the VM, then retention.

The one step ``pulumi up`` needs before a VM update, as a small dynamic resource the VM child depends on:

- inputs: the VM (namespace, name), ``trigger`` (``plan.snapshots.restart_fingerprint`` of the compiled VM:
  it changes exactly when a field that restarts the guest on any cluster changes), ``keep`` (retention), and
  the cluster access (``kubernetes:kubeconfig``/``kubernetes:context``, a secret input);
- ``create`` takes no snapshot: there is no earlier state to protect (also when ``snapshot_before`` is turned
  on for an existing VM in the same apply as a restart: say so in the docs);
- ``update`` (Pulumi runs it only when ``diff`` saw the trigger or ``keep`` change, and never at preview):
  when the trigger changed, creates ``<vm>-before-<trigger[:10]>`` (already there: taken, so a retried apply
  takes it once), waits until KubeVirt reports it ready (fails on ``Failed`` or after the timeout, so the VM
  is not updated unprotected), then deletes this VM's before-apply snapshots beyond the newest ``keep``;
- ``delete`` deletes nothing: the snapshots outlive the VM on purpose (they are the way back);
- every output comes back from ``update``; the provider holds no client (one is built per call).

Per DESIGN.md §6 the provider is pickled by reference: this module path and the class name are part of every
stack that uses ``snapshot_before``; never move or rename them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from pulumi_kubevirt.compile.snapshots import SNAPSHOT_BEFORE_ANNOTATION
from pulumi_kubevirt.components.preview import ClusterAccess
from pulumi_kubevirt.core.labels import stack_labels
from pulumi_kubevirt.facts.kinds import VM
from pulumi_kubevirt.facts.ownership import SNAPSHOT_BEFORE_LABEL
from pulumi_kubevirt.facts.snapshots import SNAPSHOT_API, VM_SNAPSHOT
from pulumi_kubevirt.plan.snapshots import before_apply_snapshot_name, restart_fingerprint, retention_victims

PLURAL = "virtualmachinesnapshots"
IDENTITY = ("namespace", "vm")
"""Inputs that name another VM: a change is a new resource (``replaces``; the dynamic host ignores
``replace_on_changes``)."""
OUTPUTS = ("snapshot", "deleted")
"""What ``update`` adds to the inputs: the snapshot it took and the ones retention deleted."""
POLL_SECONDS = 1.0


class SnapshotFailed(Exception):
    """The before-apply snapshot did not become ready: the VM update must not go ahead."""


def _path(namespace: str, name: str = "") -> str:
    group, _, version = SNAPSHOT_API.partition("/")
    base = f"/apis/{group}/{version}/namespaces/{namespace}/{PLURAL}"
    return f"{base}/{name}" if name else base


def _call(api: Any, method: str, path: str, body: Any = None, query: Any = None) -> tuple[int, Any]:
    """One REST call through the Kubernetes client: ``(status, decoded body)``; 4xx/5xx are returned."""
    method_, url, headers, payload, _ = api.param_serialize(
        method=method,
        resource_path=path,
        query_params=sorted((query or {}).items()) or None,
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api.rest_client.pool_manager.request(
        method_, url, headers=headers, body=json.dumps(payload) if payload is not None else None
    )
    data = bytes(response.data or b"")
    return int(response.status), (json.loads(data) if data else None)


class SnapshotBeforeProvider(ResourceProvider):
    """Takes ``snapshot_before``'s snapshots and applies their retention (see the module docstring)."""

    timeout_seconds: float = 600.0

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(
            id_=f"{props['namespace']}/{props['vm']}", outs={**props, "snapshot": "", "deleted": []}
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in IDENTITY if olds.get(key) != news.get(key)]
        changed = replaces or [k for k in ("trigger", "keep") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The step owns nothing in the cluster: a refresh keeps the outputs and gives back the inputs."""
        inputs = {key: value for key, value in props.items() if key not in OUTPUTS}
        return ReadResult(id_, props, inputs=inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        taken, deleted = "", []
        if olds.get("trigger") != news.get("trigger"):
            api = ClusterAccess(news.get("kubeconfig") or "", news.get("context") or "").api_client()
            try:
                taken = self._take(api, news)
                deleted = self._retain(api, news, taken)
            finally:
                api.close()
        return UpdateResult(outs={**news, "snapshot": taken, "deleted": deleted})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """The snapshots stay: they are the way back, also after the VM is gone."""

    def _take(self, api: Any, props: Mapping[str, Any]) -> str:
        namespace, vm = str(props["namespace"]), str(props["vm"])
        name = before_apply_snapshot_name(vm, str(props["trigger"]))
        labels = {**stack_labels(str(props["project"]), str(props["stack"])), SNAPSHOT_BEFORE_LABEL: vm}
        body = {
            "apiVersion": SNAPSHOT_API,
            "kind": VM_SNAPSHOT,
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"source": {"apiGroup": "kubevirt.io", "kind": VM, "name": vm}},
        }
        status, answer = _call(api, "POST", _path(namespace), body)
        if status not in (200, 201, 409):
            raise SnapshotFailed(
                f"creating VirtualMachineSnapshot {namespace}/{name} answered {status}: {answer}"
            )
        deadline = time.monotonic() + float(props.get("timeout_seconds") or self.timeout_seconds)
        while True:
            status, current = _call(api, "GET", _path(namespace, name))
            found = (current or {}).get("status") or {} if status == 200 else {}
            if found.get("readyToUse") is True:
                return name
            if found.get("phase") == "Failed":
                error = (found.get("error") or {}).get("message") or "no message"
                raise SnapshotFailed(f"VirtualMachineSnapshot {namespace}/{name} failed: {error}")
            if time.monotonic() > deadline:
                raise SnapshotFailed(
                    f"VirtualMachineSnapshot {namespace}/{name} was not ready within the timeout; the VM was "
                    "not updated. Check the snapshot (kubectl describe vmsnapshot) and run pulumi up again."
                )
            time.sleep(POLL_SECONDS)

    def _retain(self, api: Any, props: Mapping[str, Any], taken: str) -> list[str]:
        keep = props.get("keep")
        if keep is None:
            return []
        namespace, vm = str(props["namespace"]), str(props["vm"])
        status, listed = _call(
            api, "GET", _path(namespace), query={"labelSelector": f"{SNAPSHOT_BEFORE_LABEL}={vm}"}
        )
        if status != 200:
            raise SnapshotFailed(f"listing the snapshots of {namespace}/{vm} answered {status}: {listed}")
        others = [s for s in listed.get("items") or () if s["metadata"]["name"] != taken]
        victims = retention_victims(others, int(keep), 1)
        for name in victims:
            status, answer = _call(api, "DELETE", _path(namespace, name))
            if status not in (200, 202, 404):
                raise SnapshotFailed(
                    f"deleting VirtualMachineSnapshot {namespace}/{name} answered {status}: {answer}"
                )
        return victims


class SnapshotBefore(Resource):
    """The before-apply step of one VM (see the module docstring); the VM child depends on it."""

    snapshot: pulumi.Output[str]
    deleted: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        vm_manifest: Mapping[str, Any],
        keep: int | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        access = ClusterAccess.from_config()
        metadata = vm_manifest["metadata"]
        props = {
            "namespace": metadata["namespace"],
            "vm": metadata["name"],
            "trigger": restart_fingerprint(vm_manifest),
            "keep": keep,
            "project": pulumi.get_project(),
            "stack": pulumi.get_stack(),
            "kubeconfig": pulumi.Output.secret(access.kubeconfig),
            "context": access.context,
            "snapshot": None,
            "deleted": None,
        }
        super().__init__(SnapshotBeforeProvider(), name, props, opts)


def wants_snapshot_before(vm_manifest: Mapping[str, Any]) -> bool:
    return SNAPSHOT_BEFORE_ANNOTATION in ((vm_manifest.get("metadata") or {}).get("annotations") or {})
