"""Desired manifests x live state x cluster facts -> ``Plan``. Pure: no I/O, no clock.

Per object: normalise, prune live to the desired field set, diff, classify each change with the policy table,
then aggregate (action, most severe impact, notes, errors). Objects of this stack that are no longer desired
are deleted. Order follows the apply: networks, secrets, disks, VMs, services; deletes in reverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pulumi_kubevirt.compile.claims import claim_request, data_volume_size, smallest_size_for, with_size
from pulumi_kubevirt.compile.compiler import ALLOW_DATA_LOSS_ANNOTATION, ComponentKind
from pulumi_kubevirt.core.labels import COMPONENT_KEY, COMPONENT_KIND_KEY, stack_labels
from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.facts.kinds import DATA_KIND_NAMES, NAMESPACE, VM_CLONE, VM_POOL, VMI, kind_rank
from pulumi_kubevirt.facts.ownership import made_by_platform
from pulumi_kubevirt.plan.clones import clone_notes
from pulumi_kubevirt.plan.diff import diff
from pulumi_kubevirt.plan.migration import migration_policies, owner_pool
from pulumi_kubevirt.plan.model import (
    Action,
    FieldChange,
    Impact,
    Plan,
    PlanError,
    ResourcePlan,
    max_impact,
)
from pulumi_kubevirt.plan.normalise import comparable_live, count_leaves, normalise
from pulumi_kubevirt.plan.observed import ClusterFacts, VmFacts, pending_restart, pvc_key, vmi_key
from pulumi_kubevirt.plan.policy import (
    DV,
    PVC,
    SECRET,
    VM,
    RuleContext,
    SecretUse,
    classify_all,
    field_change,
)
from pulumi_kubevirt.plan.pools import member_plans
from pulumi_kubevirt.plan.snapshots import review_snapshots
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

DATA_KINDS = DATA_KIND_NAMES
NOT_PLANNED = frozenset({VMI})
UNMANAGED_NOTE = (
    "exists, not managed by this stack: the apply adopts it (server-side apply takes the fields set)"
)


def order_key_for(key: ObjectKey, *, deleting: bool = False) -> tuple[int, int, str, str, str]:
    """Creates and updates by kind rank (``facts.kinds``); deletes after them in reverse rank."""
    rank = kind_rank(key.kind)
    if deleting:
        return (1, -rank, key.namespace, key.kind, key.name)
    return (0, rank, key.namespace, key.kind, key.name)


def order_key(res: ResourcePlan) -> tuple[int, int, str, str, str]:
    """Apply order of a resource plan."""
    return order_key_for(res.key, deleting=res.action is Action.DELETE)


def make_plan(desired: Sequence[Mapping[str, Any]], live: LiveState, *, project: str, stack: str) -> Plan:
    """The plan that takes the cluster from ``live`` to ``desired`` for one stack."""
    facts = ClusterFacts.from_live(live)
    uses = secret_uses(desired)
    resources: list[ResourcePlan] = []
    errors: list[PlanError] = []
    desired_keys: set[ObjectKey] = set()
    for manifest in desired:
        key = ObjectKey.of(manifest)
        if key in desired_keys:
            errors.append(
                PlanError(
                    "metadata.name",
                    f"{key.display()} is declared twice: two resources would fight over one object.",
                    "Give each resource a unique name.",
                    "duplicate-object",
                    "Duplicate object",
                    key,
                )
            )
            continue
        desired_keys.add(key)
        planned = _plan_object(key, manifest, live, facts, uses)
        if key.kind == VM and key in live.objects:
            planned = replace(planned, pending_restart=pending_restart(live.objects[key]))
        if key.kind == VM_POOL:
            found = member_plans(key, normalise(manifest), live, facts)
            planned = _with_members(planned, found)
            resources.extend(found)
        resources.append(planned)
    resources.extend(_deletions(live, desired_keys, project, stack, facts))
    errors.extend(_cluster_errors(live))
    plan = Plan(
        resources=tuple(sorted(resources, key=order_key)),
        cluster=live.cluster,
        stack=stack,
        facts=facts.summary(),
        errors=tuple(errors),
        migration_policies=migration_policies(desired, live, project=project, stack=stack),
    )
    return review_snapshots(plan, desired, live)


_POOL_TEMPLATE_RULES = frozenset({"pool-vm-template", "pool-data-volume-templates"})


def _with_members(pool: ResourcePlan, found: Sequence[ResourcePlan]) -> ResourcePlan:
    """A pool changed in place takes the worst of what its members' guests get, not the strategy's guess."""
    if pool.action is not Action.UPDATE or not found:
        return pool
    rest = max_impact(c.impact for c in pool.changes if c.rule not in _POOL_TEMPLATE_RULES)
    worst = max(rest, max_impact(member.impact for member in found if member.action is not Action.CREATE))
    counted = f"{len(found)} member(s) planned one by one"
    return replace(pool, impact=worst, notes=(*pool.notes, counted))


def secret_uses(desired: Sequence[Mapping[str, Any]]) -> Mapping[tuple[str, str], SecretUse]:
    """``(namespace, secret name)`` -> what the desired VMs use it for (cloud-init wins over credentials).

    Credentials are told apart by propagation method: ``qemuGuestAgent`` reaches the running guest, while
    ``noCloud``/``configDrive`` are written into the cloud-init data at VMI start.
    """
    uses: dict[tuple[str, str], SecretUse] = {}
    for manifest in desired:
        if manifest.get("kind") != VM:
            continue
        namespace = str((manifest.get("metadata") or {}).get("namespace", ""))
        tmpl = ((manifest.get("spec") or {}).get("template") or {}).get("spec") or {}
        for cred in tmpl.get("accessCredentials") or []:
            for kind in ("sshPublicKey", "userPassword"):
                entry = cred.get(kind) or {}
                name = (((entry.get("source") or {}).get("secret")) or {}).get("secretName")
                if name:
                    by_agent = "qemuGuestAgent" in (entry.get("propagationMethod") or {})
                    use = SecretUse.AGENT_CREDENTIALS if by_agent else SecretUse.CLOUD_INIT_CREDENTIALS
                    uses.setdefault((namespace, str(name)), use)
        for volume in tmpl.get("volumes") or []:
            for source in ("cloudInitNoCloud", "cloudInitConfigDrive"):
                cloud_init = volume.get(source) or {}
                for ref in ("secretRef", "userDataSecretRef", "networkDataSecretRef"):
                    name = (cloud_init.get(ref) or {}).get("name")
                    if name:
                        uses[(namespace, str(name))] = SecretUse.CLOUD_INIT
    return uses


def _storage_class(manifest: Mapping[str, Any], pvc: Mapping[str, Any] | None, facts: ClusterFacts) -> str:
    spec = manifest.get("spec") or {}
    for holder in (spec.get("storage"), spec.get("pvc"), spec, (pvc or {}).get("spec")):
        if isinstance(holder, Mapping) and holder.get("storageClassName"):
            return str(holder["storageClassName"])
    return facts.default_storage_class


def _context(
    *,
    key: ObjectKey,
    want: Mapping[str, Any],
    got: Mapping[str, Any],
    live: LiveState,
    facts: ClusterFacts,
    uses: Mapping[tuple[str, str], SecretUse],
) -> RuleContext:
    if key.kind == VM:
        vm = VmFacts.from_live(got, live.objects.get(vmi_key(key)), facts)
        return RuleContext(key.kind, facts, vm=vm, desired=want, live=got)
    if key.kind in DATA_KINDS:
        pvc = live.objects.get(pvc_key(key)) if key.kind == DV else got
        return RuleContext(
            key.kind, facts, desired=want, live=got, storage_class=_storage_class(want, pvc, facts)
        )
    use = uses.get((key.namespace, key.name), SecretUse.OTHER) if key.kind == SECRET else SecretUse.OTHER
    return RuleContext(key.kind, facts, desired=want, live=got, secret_use=use)


def _plan_object(
    key: ObjectKey,
    manifest: Mapping[str, Any],
    live: LiveState,
    facts: ClusterFacts,
    uses: Mapping[tuple[str, str], SecretUse],
) -> ResourcePlan:
    want = normalise(manifest)
    errors = _desired_errors(key, want)
    current = live.objects.get(key)
    if current is None:
        told = clone_notes(manifest) if key.kind == VM_CLONE else ()
        return ResourcePlan(key, Action.CREATE, Impact.NONE, errors=errors, notes=told)
    managed = key not in live.unmanaged
    notes: list[str] = [] if managed else [UNMANAGED_NOTE]
    comparable = comparable_live(current, want)
    if key.kind == DV:
        claim = live.objects.get(pvc_key(key))
        errors = (*errors, *_claim_errors(key, want, comparable, claim))
        comparable = _grown_through_claim(comparable, want, claim)
    if comparable == want:
        return ResourcePlan(
            key,
            Action.NO_OP,
            Impact.NONE,
            errors=errors,
            notes=tuple(notes),
            unchanged_fields=0,
            managed=managed,
        )
    ctx = _context(key=key, want=want, got=current, live=live, facts=facts, uses=uses)
    changes: list[FieldChange] = []
    error_list = list(errors)
    replaces = False
    found = diff(comparable, want)
    for change, (row, verdict) in zip(found, classify_all(found, ctx), strict=True):
        changes.append(field_change(key.kind, change, row, verdict))
        path = changes[-1].path
        replaces = replaces or verdict.replaces
        if verdict.note and verdict.note not in notes:
            notes.append(verdict.note)
        if verdict.error:
            error_list.append(
                PlanError(path, verdict.error, verdict.fix, row.id, "Change rejected by the API server", key)
            )
    if replaces:
        error_list.extend(_data_loss_errors(key, want, changes))
    impact = max_impact(c.impact for c in changes)
    if replaces:
        impact = max(impact, Impact.REPLACE)
    return ResourcePlan(
        key=key,
        action=Action.REPLACE if replaces else Action.UPDATE,
        impact=impact,
        changes=tuple(changes),
        errors=tuple(error_list),
        notes=tuple(notes),
        unchanged_fields=max(count_leaves(want) - len(changes), 0),
        managed=managed,
    )


def _claim_bytes(claim: Mapping[str, Any] | None) -> Any:
    return quantity_or_none(
        ((((claim or {}).get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    )


def _grown_through_claim(
    comparable: dict[str, Any], want: Mapping[str, Any], claim: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A DataVolume whose claim already holds what the claim patch asks for counts as grown.

    The components grow a DataVolume's disk by patching its claim and keep the DataVolume's own size as
    created (CDI refuses the update), so after a growth the live DataVolume still shows the old size: the
    claim's request is the truth. A shrink stays a change, which the policy refuses.
    """
    requested, wanted = _claim_bytes(claim), claim_request(want)
    created, size = data_volume_size(comparable), data_volume_size(want)
    if requested is None or wanted is None or created is None or size is None:
        return comparable
    if size <= created or requested < wanted:
        return comparable
    return with_size(comparable, str(_desired_size_text(want)))


def _desired_size_text(want: Mapping[str, Any]) -> Any:
    spec = want.get("spec") or {}
    holder = spec.get("storage") if isinstance(spec.get("storage"), Mapping) else spec.get("pvc")
    return (((holder or {}).get("resources") or {}).get("requests") or {}).get("storage")


CLAIM_LARGER_RULE = "claim-larger-than-disk"


def _claim_errors(
    key: ObjectKey, want: Mapping[str, Any], got: Mapping[str, Any], claim: Mapping[str, Any] | None
) -> tuple[PlanError, ...]:
    """The claim patch would ask less than the claim holds (grown by hand, a larger CDI overhead or minimum
    claim size): the API server refuses a claim that shrinks, so the apply would fail on it. A disk whose
    own size shrinks gets the policy's shrink error instead."""
    requested, wanted = _claim_bytes(claim), claim_request(want)
    if requested is None or wanted is None or requested <= wanted:
        return ()
    size, created = data_volume_size(want), data_volume_size(got)
    if size is not None and created is not None and size < created:
        return ()
    disk = _disk_name(key, want)
    return (
        PlanError(
            "spec.storage.resources.requests.storage",
            f"{disk.capitalize()}: its claim {key.namespace}/{key.name} already requests "
            f"{claim_size_text(requested)}, more than the {_desired_size_text(want)} written here asks for "
            f"({claim_size_text(wanted)}); the claim patch would shrink it, and the API server refuses that.",
            f"Set the size of {disk} to {smallest_size_for(want, requested)} or more (the size the claim "
            "already holds).",
            CLAIM_LARGER_RULE,
            "Claim larger than the disk",
            key,
        ),
    )


def claim_size_text(size: Any) -> str:
    """Bytes as a readable quantity: whole GiB or MiB when exact, else bytes."""
    for unit, factor in (("Gi", 2**30), ("Mi", 2**20)):
        if size % factor == 0:
            return f"{int(size // factor)}{unit}"
    return f"{int(size)} bytes"


DATA_LOSS_RULE = "disk-data-loss-not-allowed"


def _disk_name(key: ObjectKey, want: Mapping[str, Any]) -> str:
    """The disk as the user wrote it: ``disk db-data`` or ``the root disk of VM web``."""
    labels = (want.get("metadata") or {}).get("labels") or {}
    if labels.get(COMPONENT_KIND_KEY) == ComponentKind.VM and labels.get(COMPONENT_KEY):
        return f"the root disk of VM {labels[COMPONENT_KEY]}"
    return f"disk {labels.get(COMPONENT_KEY) or key.name}"


def _data_loss_errors(
    key: ObjectKey, want: Mapping[str, Any], changes: Sequence[FieldChange]
) -> list[PlanError]:
    """A disk recreated for a field change loses its data: only that disk's ``allow_data_loss`` permits it.

    Pulumi's ``protect`` refuses the replacement too, but at apply time and naming neither field nor option.
    """
    annotations = (want.get("metadata") or {}).get("annotations") or {}
    fields = [change.path for change in changes if change.forces_replacement]
    if not fields or key.kind not in DATA_KINDS or annotations.get(ALLOW_DATA_LOSS_ANNOTATION) == "true":
        return []
    disk = _disk_name(key, want)
    option = "root_disk.allow_data_loss" if disk.startswith("the root disk") else "allow_data_loss"
    named = ", ".join(fields)
    return [
        PlanError(
            fields[0],
            f"{disk.capitalize()} ({key.kind} {key.namespace}/{key.name}): changing {named} recreates the "
            "disk, and its data is lost.",
            f"Keep {named} as it is, or set {option}: true on {disk} to accept the loss (back the data up "
            "first).",
            DATA_LOSS_RULE,
            "Data loss not allowed",
            key,
        )
    ]


def _desired_errors(key: ObjectKey, want: Mapping[str, Any]) -> tuple[PlanError, ...]:
    spec = want.get("spec") or {}
    if key.kind == VM and "running" in spec and "runStrategy" in spec:
        return (
            PlanError(
                "spec.running",
                f"{key.display()} sets both spec.running and spec.runStrategy; KubeVirt rejects the pair.",
                "Remove spec.running (deprecated) and keep spec.runStrategy.",
                "vm-running-and-run-strategy",
                "Invalid VirtualMachine",
                key,
            ),
        )
    return ()


def _carries_stack_labels(obj: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    have = (obj.get("metadata") or {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


def _deletions(
    live: LiveState, desired_keys: set[ObjectKey], project: str, stack: str, facts: ClusterFacts
) -> list[ResourcePlan]:
    labels = stack_labels(project, stack)
    data_volumes = {(k.namespace, k.name) for k in (*desired_keys, *live.objects) if k.kind == DV}
    out: list[ResourcePlan] = []
    for key, obj in live.objects.items():
        if key in desired_keys or key.kind in NOT_PLANNED or key in live.unmanaged:
            continue
        if key.kind == PVC and (key.namespace, key.name) in data_volumes:
            continue
        if (
            not _carries_stack_labels(obj, labels)
            or made_by_platform(key.kind, obj) is not None
            or owner_pool(obj)
        ):
            continue
        out.append(_deletion(key, obj, live, facts))
    return out


def _deletion(key: ObjectKey, obj: Mapping[str, Any], live: LiveState, facts: ClusterFacts) -> ResourcePlan:
    if key.kind in DATA_KINDS:
        return ResourcePlan(
            key, Action.DELETE, Impact.DESTROYS_DATA, notes=("the disk and its data are deleted",)
        )
    if key.kind == VM:
        vm = VmFacts.from_live(obj, live.objects.get(vmi_key(key)), facts)
        if vm.running:
            return ResourcePlan(
                key,
                Action.DELETE,
                Impact.RESTART,
                notes=("the running guest is stopped and removed; its disks are separate objects",),
            )
        return ResourcePlan(key, Action.DELETE, Impact.NONE, notes=("the VM is not running",))
    if key.kind == NAMESPACE and key.group == "":
        return _namespace_deletion(key, live, facts)
    return ResourcePlan(key, Action.DELETE, Impact.LIVE)


def _namespace_deletion(key: ObjectKey, live: LiveState, facts: ClusterFacts) -> ResourcePlan:
    """Deleting a namespace deletes everything in it: rated by the worst of what we know lives there."""
    inside = [(k, o) for k, o in live.objects.items() if k.namespace == key.name]
    disks = sorted(k.name for k, _ in inside if k.kind in DATA_KINDS)
    if disks:
        return ResourcePlan(
            key,
            Action.DELETE,
            Impact.DESTROYS_DATA,
            notes=(f"deleting the namespace deletes the disks in it and their data: {', '.join(disks)}",),
        )
    running = sorted(
        k.name
        for k, o in inside
        if k.kind == VM and VmFacts.from_live(o, live.objects.get(vmi_key(k)), facts).running
    )
    if running:
        return ResourcePlan(
            key,
            Action.DELETE,
            Impact.RESTART,
            notes=(f"deleting the namespace stops and removes the running VMs in it: {', '.join(running)}",),
        )
    return ResourcePlan(
        key, Action.DELETE, Impact.LIVE, notes=("deleting the namespace deletes every object in it",)
    )


def _cluster_errors(live: LiveState) -> list[PlanError]:
    errors = [
        PlanError(
            "",
            f"The cluster does not serve {kind}: objects of this kind cannot be created.",
            "Install the operator that provides it (KubeVirt, CDI or Multus) or remove those resources.",
            "missing-kind",
            "Missing API",
        )
        for kind in sorted(live.missing_kinds)
    ]
    errors.extend(
        PlanError(
            "metadata.namespace",
            f"Namespace {namespace} does not exist: objects in it cannot be created.",
            f"Create namespace {namespace} first, or set another namespace in the stack config.",
            "missing-namespace",
            "Missing namespace",
        )
        for namespace in sorted(live.missing_namespaces)
    )
    return errors
