"""Snapshots and restores in a plan: what ``snapshot_before`` will take, what retention deletes, which disks a
restore rolls back, and which disks cannot be snapshotted at all. Pure: manifests and live state in, notes and
errors on the plan out.

The before-apply snapshot is triggered by :func:`restart_fingerprint`, a hash of the VM's fields whose change
the policy table classifies ``restart`` (or worse) whatever the cluster: template fields outside KubeVirt's
live-update and hot-plug handlers. The apply step (``components.snapshot_before``) compares the same hash with
the one it stored, so the plan and ``pulumi up`` agree on when a snapshot is taken; the plan adds a note when
a restart comes only from a cluster-dependent rule (a socket count beyond ``maxSockets``, the Stage rollout)
and is therefore not covered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_kubevirt.compile.snapshots import SNAPSHOT_BEFORE_ANNOTATION, SNAPSHOT_KEEP_ANNOTATION
from pulumi_kubevirt.core.paths import Key, Named, Segment, format_path, parse_path
from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.facts.kinds import DV, PVC, VM
from pulumi_kubevirt.facts.live_update import PolicyRule, Scope
from pulumi_kubevirt.facts.ownership import SNAPSHOT_BEFORE_LABEL
from pulumi_kubevirt.facts.pattern import named
from pulumi_kubevirt.facts.snapshots import (
    DEFAULT_CLASS_ANNOTATION,
    SNAPSHOTTABLE_VOLUME_SOURCES,
    VM_RESTORE,
    VM_SNAPSHOT,
)
from pulumi_kubevirt.plan.model import Action, Plan, PlanError, ResourcePlan
from pulumi_kubevirt.plan.normalise import is_keyed_list
from pulumi_kubevirt.plan.observed import ClusterFacts, VmFacts, vmi_key
from pulumi_kubevirt.plan.policy import hotpluggable_volume, match_rule
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

VOLUME_RULE = "volume_hotplug"


def restart_class(row: PolicyRule) -> bool:
    """A row whose change restarts the guest on any cluster: a plain template field, or a static restart."""
    if row.scope is Scope.TEMPLATE_SPEC:
        return True
    return row.impact is not None and row.impact >= Impact.RESTART


def restart_class_path(vm: Mapping[str, Any], path: tuple[Segment, ...]) -> bool:
    """Whether changing ``path`` of ``vm`` restarts the guest on any cluster (the fingerprint's fields).

    Besides the restart-class rows: a volume, or its disk, that is not hot-pluggable in ``vm`` (the volume
    rule restarts for those whatever the cluster's hot-plug gates say).
    """
    row = match_rule(VM, path)
    if restart_class(row):
        return True
    if row.rule != VOLUME_RULE:
        return False
    name = named(path, "volumes") or named(path, "disks")
    volumes = [v for v in _volumes(vm) if v.get("name") == name]
    return not (volumes and hotpluggable_volume(volumes[0]))


def _leaves(value: Any, base: tuple[Segment, ...]) -> Iterator[tuple[tuple[Segment, ...], Any]]:
    """Every leaf, walked the way the diff walks (keyed lists by name), so paths match the plan's."""
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _leaves(value[key], (*base, Key(str(key))))
    elif isinstance(value, list) and value and is_keyed_list(value):
        for item in sorted(value, key=lambda i: str(i["name"])):
            yield from _leaves(item, (*base, Named(str(item["name"]))))
    else:
        yield base, value


def restart_fingerprint(vm: Mapping[str, Any]) -> str:
    """A hash of the VM's restart-class fields: it changes exactly when such a field changes."""
    fields = [
        (format_path(path), value)
        for path, value in _leaves(vm.get("spec") or {}, (Key("spec"),))
        if restart_class_path(vm, path)
    ]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def before_apply_snapshot_name(vm_name: str, fingerprint: str) -> str:
    """One name per VM and fingerprint: taking it twice for the same change finds it already there."""
    return f"{vm_name}-before-{fingerprint[:10]}"


def _annotations(manifest: Mapping[str, Any]) -> Mapping[str, str]:
    return (manifest.get("metadata") or {}).get("annotations") or {}


def _keep(manifest: Mapping[str, Any]) -> int | None:
    raw = _annotations(manifest).get(SNAPSHOT_KEEP_ANNOTATION)
    return int(raw) if raw and raw.isdigit() else None


def _by_creation(objs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(
        objs,
        key=lambda o: (str(o["metadata"].get("creationTimestamp", "")), str(o["metadata"]["name"])),
    )


def retention_victims(existing: Sequence[Mapping[str, Any]], keep: int | None, adding: int) -> list[str]:
    """Names retention deletes, oldest first, so that ``keep`` remain after ``adding`` new ones."""
    if keep is None:
        return []
    ordered = _by_creation(existing)
    extra = len(ordered) + adding - keep
    return [str(o["metadata"]["name"]) for o in ordered[: max(extra, 0)]]


# --- Which disks can be snapshotted -------------------------------------------------------------------


def _volumes(vm: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return (((vm.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []


def _claim(volume: Mapping[str, Any]) -> str | None:
    for source in SNAPSHOTTABLE_VOLUME_SOURCES:
        entry = volume.get(source) or {}
        name = entry.get("claimName") or entry.get("name")
        if name:
            return str(name)
    return None


def snapshot_disks(vm: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(volume, claim)`` for each volume a snapshot holds (``facts.snapshots.SNAPSHOTTABLE_VOLUMES``)."""
    return [(str(v["name"]), claim) for v in _volumes(vm) if (claim := _claim(v))]


def _storage_class_of(
    namespace: str, claim: str, desired: Mapping[ObjectKey, Mapping[str, Any]], live: LiveState
) -> str:
    for key in (
        ObjectKey("", PVC, namespace, claim),
        ObjectKey("cdi.kubevirt.io", DV, namespace, claim),
    ):
        for source in (desired.get(key), live.objects.get(key)):  # the class the apply leaves
            spec = (source or {}).get("spec") or {}
            for holder in (spec, spec.get("storage") or {}, spec.get("pvc") or {}):
                if holder.get("storageClassName"):
                    return str(holder["storageClassName"])
    return ClusterFacts.from_live(live).default_storage_class


def snapshot_class_for(storage_class: str, live: LiveState) -> tuple[str, str]:
    """``(VolumeSnapshotClass, "")`` KubeVirt would use for the class, or ``("", why not)``."""
    if live.snapshot_classes is None:
        return "", "the cluster does not serve VolumeSnapshotClass (the CSI snapshot CRDs are not installed)"
    sc = live.storage_classes.get(storage_class)
    if sc is None:
        return "", f"storage class {storage_class or '(default)'} does not exist"
    profile_class = ((live.storage_profiles.get(storage_class) or {}).get("status") or {}).get(
        "snapshotClass"
    )
    names = {str(c["metadata"]["name"]) for c in live.snapshot_classes}
    if profile_class:
        if profile_class in names:
            return str(profile_class), ""
        return "", f"its StorageProfile names VolumeSnapshotClass {profile_class}, which does not exist"
    provisioner = str(sc.get("provisioner", ""))
    matches = [c for c in live.snapshot_classes if c.get("driver") == provisioner]
    if len(matches) == 1:
        return str(matches[0]["metadata"]["name"]), ""
    defaults = [c for c in matches if DEFAULT_CLASS_ANNOTATION in _annotations(c)]
    if matches and defaults:
        return str(defaults[0]["metadata"]["name"]), ""
    if matches:
        return "", f"{len(matches)} VolumeSnapshotClasses have driver {provisioner} and none is the default"
    return (
        "",
        f"no VolumeSnapshotClass has driver {provisioner} (the provisioner of storage class {storage_class})",
    )


def _unsnapshottable(
    key: ObjectKey, vm: Mapping[str, Any], desired: Mapping[ObjectKey, Mapping[str, Any]], live: LiveState
) -> list[PlanError]:
    errors = []
    owner = ObjectKey.of(vm).display() if vm else key.display()
    for volume, claim in snapshot_disks(vm):
        storage_class = _storage_class_of(key.namespace, claim, desired, live)
        _, why = snapshot_class_for(storage_class, live)
        if why:
            errors.append(
                PlanError(
                    f"spec.template.spec.volumes[name={volume}]",
                    f"disk {volume} (claim {claim}) of {owner} cannot be snapshotted: {why}. "
                    "KubeVirt "
                    "would leave it out and mark the snapshot Partial; a restore would not roll it back.",
                    f"create a VolumeSnapshotClass whose driver is the provisioner of storage class "
                    f"{storage_class or '(default)'}, or move the disk to a storage class that has one",
                    "snapshot-class-missing",
                    "Disk cannot be snapshotted",
                    key,
                )
            )
    return errors


# --- The review ---------------------------------------------------------------------------------------


def _with(
    res: ResourcePlan, notes: Sequence[str] = (), errors: Sequence[PlanError] = (), **kw: Any
) -> ResourcePlan:
    return dataclasses.replace(res, notes=(*res.notes, *notes), errors=(*res.errors, *errors), **kw)


def _before_apply(
    res: ResourcePlan,
    vm: Mapping[str, Any],
    desired: Mapping[ObjectKey, Mapping[str, Any]],
    live: LiveState,
) -> ResourcePlan:
    if res.action not in (Action.UPDATE, Action.REPLACE):
        return res
    fields = [c.path for c in res.changes if restart_class_path(vm, parse_path(c.path))]
    if not fields:
        if res.impact >= Impact.RESTART:
            return _with(
                res,
                notes=[
                    "snapshot_before: no snapshot is taken: this restart comes from a cluster-dependent "
                    "rule, "
                    "not from a field that restarts the guest on every cluster"
                ],
            )
        return res
    name = before_apply_snapshot_name(res.key.name, restart_fingerprint(vm))
    taken = [
        o
        for k, o in live.snapshots.items()
        if k.namespace == res.key.namespace
        and ((o.get("metadata") or {}).get("labels") or {}).get(SNAPSHOT_BEFORE_LABEL) == res.key.name
    ]
    notes = [
        f"snapshot_before: VirtualMachineSnapshot {name} is taken before this update, because of "
        f"{', '.join(fields)}"
    ]
    victims = retention_victims(taken, _keep(vm), 1)
    if victims:
        notes.append(f"retention (keep {_keep(vm)}): then deletes {', '.join(victims)}")
    return _with(res, notes=notes, errors=_unsnapshottable(res.key, vm, desired, live))


def _restore(
    res: ResourcePlan,
    restore: Mapping[str, Any],
    desired: Mapping[ObjectKey, Mapping[str, Any]],
    live: LiveState,
) -> ResourcePlan:
    if res.action is not Action.CREATE:
        return res
    spec = restore.get("spec") or {}
    vm_key = ObjectKey("kubevirt.io", VM, res.key.namespace, str((spec.get("target") or {}).get("name", "")))
    snapshot_key = ObjectKey(
        "snapshot.kubevirt.io",
        VM_SNAPSHOT,
        res.key.namespace,
        str(spec.get("virtualMachineSnapshotName", "")),
    )
    snapshot = live.snapshots.get(snapshot_key) or live.objects.get(snapshot_key)
    if snapshot is None and snapshot_key not in desired:
        return _with(
            res,
            errors=[
                PlanError(
                    "spec.virtualMachineSnapshotName",
                    f"{res.key.display()} restores from {snapshot_key.display()}, which does not exist.",
                    "name an existing snapshot of this VM (kubectl get vmsnapshot) or declare it",
                    "restore-snapshot-missing",
                    "Restore from a missing snapshot",
                    res.key,
                )
            ],
        )
    vm = desired.get(vm_key) or live.objects.get(vm_key) or {}
    included = (((snapshot or {}).get("status") or {}).get("snapshotVolumes") or {}).get("includedVolumes")
    disks = [(v, c) for v, c in snapshot_disks(vm) if included is None or v in included]
    facts = ClusterFacts.from_live(live)
    running = VmFacts.from_live(
        live.objects.get(vm_key) or {}, live.objects.get(vmi_key(vm_key)), facts
    ).running
    rolled = ", ".join(f"{v} (claim {c})" for v, c in disks) or "none"
    notes = [
        f"rolls back the disks of {vm_key.display()} to {snapshot_key.name}: {rolled}; their current data is "
        "replaced by the snapshot's (restored in place, same claim names)",
        (
            "the VM restarts: the restore stops it (StopTarget), restores, and its run strategy starts "
            "it again"
            if running
            else "the VM is not running: it keeps its run strategy"
        ),
    ]
    excluded = (((snapshot or {}).get("status") or {}).get("snapshotVolumes") or {}).get("excludedVolumes")
    if excluded:
        notes.append(f"not in the snapshot, so not rolled back: {', '.join(excluded)}")
    return _with(res, notes=notes, impact=Impact.RESTART if running else res.impact)


def review_snapshots(plan: Plan, desired: Sequence[Mapping[str, Any]], live: LiveState) -> Plan:
    """The plan with what snapshots, retention and restores do added to the resources they concern."""
    by_key = {ObjectKey.of(m): m for m in desired}
    if not any(
        k.kind in (VM_SNAPSHOT, VM_RESTORE) or SNAPSHOT_BEFORE_ANNOTATION in _annotations(m)
        for k, m in by_key.items()
    ) and not any(r.key.kind == VM_SNAPSHOT for r in plan.resources):
        return plan
    keeps = {(k.namespace, k.name): _keep(m) for k, m in by_key.items() if k.kind == VM}
    reviewed = tuple(_review_one(res, by_key, keeps, live) for res in plan.resources)
    return dataclasses.replace(plan, resources=reviewed)


def _review_one(
    res: ResourcePlan,
    by_key: Mapping[ObjectKey, Mapping[str, Any]],
    keeps: Mapping[tuple[str, str], int | None],
    live: LiveState,
) -> ResourcePlan:
    manifest = by_key.get(res.key)
    if res.key.kind == VM and manifest is not None:
        if _annotations(manifest).get(SNAPSHOT_BEFORE_ANNOTATION):
            return _before_apply(res, manifest, by_key, live)
        return res
    if res.key.kind == VM_RESTORE and manifest is not None:
        return _restore(res, manifest, by_key, live)
    if res.key.kind == VM_SNAPSHOT and res.action is Action.CREATE and manifest is not None:
        source = _source_vm(manifest)
        vm = by_key.get(ObjectKey("kubevirt.io", VM, res.key.namespace, source)) or {}
        disks = ", ".join(v for v, _ in snapshot_disks(vm)) or "none"
        return _with(
            res,
            notes=[f"snapshot of VirtualMachine {res.key.namespace}/{source}: disks {disks}"],
            errors=_unsnapshottable(res.key, vm, by_key, live),
        )
    if res.key.kind == VM_SNAPSHOT and res.action is Action.DELETE:
        source = _source_vm(live.objects.get(res.key) or {})
        keep = keeps.get((res.key.namespace, source))
        why = (
            f"retention: VirtualMachine {source} keeps its last {keep} snapshots and this one is older"
            if keep is not None
            else "no longer declared in snapshots"
        )
        return _with(res, notes=[f"{why}; its VolumeSnapshots are deleted with it"], impact=Impact.NO_EFFECT)
    return res


def _source_vm(snapshot: Mapping[str, Any]) -> str:
    return str(((snapshot.get("spec") or {}).get("source") or {}).get("name", ""))
