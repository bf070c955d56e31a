"""KubeVirt's clone and pool controllers, played through the API (KubeVirt v1.9.0; this module reads none of
the product's facts, so tests can hold the plan against it).

Clone (``pkg/virt-controller/watch/clone``): a VirtualMachineClone of a VirtualMachine creates its target VM
once: labels and annotations filtered as ``addRemovePatchesFromFilter`` filters them (regular expressions,
``!`` excludes and wins), every interface's MAC address from ``newMacAddresses`` or, where none is given,
a new one (``addMacAddressPatches`` empties it and the network's MAC pool assigns one: the simulator plays
KubeMacPool with a deterministic address), the SMBIOS serial and firmware UUID emptied for the VM
controller to default anew unless ``newSMBiosSerial`` says which (``addSmbiosSerialPatches``,
``addFirmwareUUIDPatches``); then the clone is ``Succeeded``. A Succeeded clone whose target VM is gone is
deleted (``execute``). The snapshot and restore steps in between are not played, and a clone of a
VirtualMachineSnapshot stays pending: only VM objects are copied, not their volumes.

Pool (``pkg/virt-controller/watch/pool/pool.go``): one ControllerRevision per pool generation
(``<pool>-<generation>``); members ``<pool>-<index>`` created from the VM template with the revision label
(``scaleOut``, lowest free index), deleted from the highest index on scale-in (upstream picks at random by
default); every member of an older revision rewritten from the template, keeping its firmware UUID and serial
(``opportunisticUpdate``), unless the pool is ``unmanaged``; then, unless ``opportunistic``, each running
member whose VMI came from a revision with another VMI template is restarted (its VMI deleted), and one
whose template is the same only relabelled (``proactiveUpdate``; maxUnavailable is not played: all at once,
which is the default of 100%). Members whose pool is gone are deleted (the garbage collector's part).
"""

from __future__ import annotations

import copy
import hashlib
import re

from pulumi_kubevirt_devcluster.sim_api import (
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_INSTANCE,
    CustomKind,
    JsonObject,
)
from pulumi_kubevirt_devcluster.sim_pass import PassSnapshot, controller_kind
from pulumi_kubevirt_devcluster.sim_tables import Manager

CLONE = CustomKind("clone.kubevirt.io", "v1beta1", "virtualmachineclones", "VirtualMachineClone")
POOL = CustomKind("pool.kubevirt.io", "v1beta1", "virtualmachinepools", "VirtualMachinePool")
REVISION_LABEL = "kubevirt.io/vmpool-revision-name"
KUBEMACPOOL = "kubemacpool"
SUCCEEDED = "Succeeded"


# --- clone ----------------------------------------------------------------------------------------------


def _kept(keys: dict[str, str], filters: list[str] | None) -> dict[str, str]:
    """``addRemovePatchesFromFilter``: no filters keep all; else kept = matched by an include, no exclude."""
    if filters is None:
        return dict(keys)
    includes = [".*" if f == "*" else f for f in filters if not f.startswith("!")]
    excludes = [f[1:] for f in filters if f.startswith("!")]
    return {
        key: value
        for key, value in keys.items()
        if any(re.search(f, key) for f in includes) and not any(re.search(f, key) for f in excludes)
    }


def pool_mac(namespace: str, vm: str, interface: str) -> str:
    """The MAC KubeMacPool would hand out, made deterministic: locally administered, from the names."""
    digest = hashlib.sha256(f"{namespace}/{vm}/{interface}".encode()).digest()
    return ":".join(f"{byte:02x}" for byte in (0x02, *digest[:5]))


def _target(clone: JsonObject, source: JsonObject) -> JsonObject:
    spec = clone["spec"]
    namespace = clone["metadata"]["namespace"]
    name = spec["target"]["name"]
    meta = source["metadata"]
    vm_spec = copy.deepcopy(source["spec"])
    template = vm_spec.setdefault("template", {})
    template_meta = template.setdefault("metadata", {})
    template_filters = (spec.get("template") or {}).get("labelFilters")
    template_meta["labels"] = _kept(template_meta.get("labels") or {}, template_filters)
    domain = template.setdefault("spec", {}).setdefault("domain", {})
    chosen = spec.get("newMacAddresses") or {}
    for interface in (domain.get("devices") or {}).get("interfaces") or []:
        interface["macAddress"] = chosen.get(interface["name"]) or pool_mac(
            namespace, name, interface["name"]
        )
    firmware = domain.get("firmware")
    if firmware is not None:
        firmware["serial"] = spec.get("newSMBiosSerial", "")
        firmware["uuid"] = ""
    return {
        "apiVersion": VIRTUAL_MACHINE.api_version,
        "kind": VIRTUAL_MACHINE.kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": _kept(meta.get("labels") or {}, spec.get("labelFilters")),
            "annotations": _kept(meta.get("annotations") or {}, spec.get("annotationFilters")),
        },
        "spec": vm_spec,
    }


def _live(snapshot: PassSnapshot, kind: CustomKind, namespace: str | None) -> list[JsonObject]:
    """The kind's objects, without those of namespaces being deleted (creates there are refused)."""
    found = snapshot.door.list_custom(kind, namespace)
    if namespace is not None:
        return found
    doomed = snapshot.door.terminating_namespaces()
    return [item for item in found if item["metadata"]["namespace"] not in doomed]


def reconcile_clones(snapshot: PassSnapshot, namespace: str | None) -> None:
    """One pass of the clone controller over every VirtualMachineClone."""
    door = snapshot.door
    for clone in _live(snapshot, CLONE, namespace):
        meta, spec = clone["metadata"], clone["spec"]
        key = (meta["namespace"], spec["target"]["name"])
        status = clone.get("status") or {}
        if status.get("phase") == SUCCEEDED:
            if key not in snapshot.vms:
                door.delete_custom(CLONE, meta["namespace"], meta["name"])
            continue
        source = snapshot.vms.get((meta["namespace"], spec["source"]["name"]))
        if spec["source"]["kind"] != VIRTUAL_MACHINE.kind or source is None:
            continue
        if key not in snapshot.vms:
            created = door.create_custom(VIRTUAL_MACHINE, key[0], _target(clone, source), KUBEMACPOOL)
            snapshot.vms[key] = created
        done = {
            "phase": SUCCEEDED,
            "targetName": key[1],
            "conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}],
        }
        door.patch_custom(CLONE, key[0], meta["name"], {"status": done}, Manager.VIRT_CONTROLLER, status=True)


# --- pool -----------------------------------------------------------------------------------------------


def _owned_by(vm: JsonObject, pool: JsonObject) -> bool:
    return any(
        ref.get("controller") and ref.get("uid") == pool["metadata"]["uid"]
        for ref in vm["metadata"].get("ownerReferences") or []
    )


def _index(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


def _revision_name(pool: JsonObject) -> str:
    return f"{pool['metadata']['name']}-{pool['metadata']['generation']}"


def _ensure_revision(snapshot: PassSnapshot, pool: JsonObject) -> str:
    """``ensureControllerRevision``: the pool's spec at this generation, once."""
    namespace, name = pool["metadata"]["namespace"], _revision_name(pool)
    if (namespace, name) not in snapshot.revisions:
        body = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {"name": name, "namespace": namespace, "ownerReferences": [_owner(pool)]},
            "data": {"spec": pool["spec"]},
            "revision": pool["metadata"]["generation"],
        }
        snapshot.door.create_revision(namespace, body, Manager.VIRT_CONTROLLER)
        snapshot.revisions[(namespace, name)] = body
    return name


def _owner(pool: JsonObject) -> JsonObject:
    return {
        "apiVersion": POOL.api_version,
        "kind": POOL.kind,
        "name": pool["metadata"]["name"],
        "uid": pool["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _member(pool: JsonObject, name: str, revision: str, keep: JsonObject | None) -> JsonObject:
    """A member from the template with the revision label; ``keep``'s firmware identity preserved."""
    template = copy.deepcopy(pool["spec"]["virtualMachineTemplate"])
    spec = template["spec"]
    spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})[REVISION_LABEL] = (
        revision
    )
    old = ((((keep or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("domain") or {}
    if old.get("firmware"):
        firmware = spec["template"].setdefault("spec", {}).setdefault("domain", {}).setdefault("firmware", {})
        for field in ("uuid", "serial"):
            if old["firmware"].get(field):
                firmware[field] = old["firmware"][field]
    labels = {**((template.get("metadata") or {}).get("labels") or {}), REVISION_LABEL: revision}
    metadata: JsonObject = {
        "name": name,
        "namespace": pool["metadata"]["namespace"],
        "labels": labels,
        "ownerReferences": [_owner(pool)],
    }
    annotations = (template.get("metadata") or {}).get("annotations")
    if annotations:
        metadata["annotations"] = annotations
    if keep is not None:
        metadata["resourceVersion"] = keep["metadata"]["resourceVersion"]
    return {
        "apiVersion": VIRTUAL_MACHINE.api_version,
        "kind": VIRTUAL_MACHINE.kind,
        "metadata": metadata,
        "spec": spec,
    }


def _vmi_template(snapshot: PassSnapshot, namespace: str, revision: str | None) -> JsonObject | None:
    found = snapshot.revisions.get((namespace, revision or ""))
    if found is None:
        return None
    spec = (found.get("data") or {}).get("spec") or {}
    template: JsonObject = spec["virtualMachineTemplate"]["spec"].get("template") or {}
    return template


def _scale(snapshot: PassSnapshot, pool: JsonObject, members: list[JsonObject], revision: str) -> None:
    door, namespace = snapshot.door, pool["metadata"]["namespace"]
    replicas = int(pool["spec"].get("replicas", 1))
    taken = {m["metadata"]["name"] for m in members}
    index_ = 0
    for _ in range(replicas - len(members)):
        while f"{pool['metadata']['name']}-{index_}" in taken:
            index_ += 1
        name = f"{pool['metadata']['name']}-{index_}"
        taken.add(name)
        snapshot.vms[(namespace, name)] = door.create_custom(
            VIRTUAL_MACHINE, namespace, _member(pool, name, revision, None), Manager.VIRT_CONTROLLER
        )
    extra = sorted(members, key=lambda m: _index(m["metadata"]["name"]), reverse=True)
    for vm in extra[: max(len(members) - replicas, 0)]:
        door.delete_custom(VIRTUAL_MACHINE, namespace, vm["metadata"]["name"])
        snapshot.vms.pop((namespace, vm["metadata"]["name"]), None)


def _update(snapshot: PassSnapshot, pool: JsonObject, members: list[JsonObject], revision: str) -> None:
    door, namespace = snapshot.door, pool["metadata"]["namespace"]
    strategy = pool["spec"].get("updateStrategy") or {}
    if "unmanaged" in strategy:
        return
    for vm in members:
        name = vm["metadata"]["name"]
        if (vm["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision:
            updated = _member(pool, name, revision, vm)
            snapshot.vms[(namespace, name)] = door.replace_custom(VIRTUAL_MACHINE, namespace, name, updated)
    if "opportunistic" in strategy:
        return
    for vm in members:
        name = vm["metadata"]["name"]
        vmi = snapshot.vmis.get((namespace, name))
        if vmi is None:
            continue
        was = (vmi["metadata"].get("labels") or {}).get(REVISION_LABEL)
        if was == revision:
            continue
        if _vmi_template(snapshot, namespace, was) != _vmi_template(snapshot, namespace, revision):
            door.delete_custom(VIRTUAL_MACHINE_INSTANCE, namespace, name)
            del snapshot.vmis[(namespace, name)]
        else:
            labels = {**(vmi["metadata"].get("labels") or {}), REVISION_LABEL: revision}
            patch = {"metadata": {"labels": labels}}
            door.patch_custom(VIRTUAL_MACHINE_INSTANCE, namespace, name, patch, Manager.VIRT_CONTROLLER)


def reconcile_pools(snapshot: PassSnapshot, namespace: str | None) -> None:
    """One pass of the pool controller: scale, then update; members of deleted pools are collected."""
    door = snapshot.door
    pools = _live(snapshot, POOL, namespace)
    uids = {p["metadata"]["uid"] for p in pools}
    for key, vm in sorted(snapshot.vms.items()):
        if controller_kind(vm) == POOL.kind and not any(
            ref.get("uid") in uids for ref in vm["metadata"].get("ownerReferences") or []
        ):
            door.delete_custom(VIRTUAL_MACHINE, *key)
            del snapshot.vms[key]
    for pool in pools:
        revision = _ensure_revision(snapshot, pool)
        members = [vm for vm in snapshot.vms.values() if _owned_by(vm, pool)]
        _scale(snapshot, pool, members, revision)
        members = [vm for vm in snapshot.vms.values() if _owned_by(vm, pool)]
        _update(snapshot, pool, members, revision)
