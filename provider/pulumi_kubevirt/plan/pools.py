"""A VirtualMachinePool's plan for every member: what the pool controller will do to each VM it owns. Pure.

A member's desired state is the pool's VM template (the pool controller rewrites the member from it,
keeping its firmware identity). Each member's field changes are classified as changes of that VM (the VM
controller's view, which is all an opportunistic update does), then the pool's update strategy applies
(``facts.mobility.POOL_UPDATE``): a proactive update restarts each running member whose template changed,
an unmanaged pool leaves its members alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_kubevirt.facts.kinds import VM
from pulumi_kubevirt.facts.mobility import PoolUpdate
from pulumi_kubevirt.facts.pattern import keys_of
from pulumi_kubevirt.plan.diff import Diff, diff
from pulumi_kubevirt.plan.migration import new_member_names, owner_pool
from pulumi_kubevirt.plan.model import Action, FieldChange, Impact, ResourcePlan, max_impact
from pulumi_kubevirt.plan.normalise import comparable_live, count_leaves, normalise
from pulumi_kubevirt.plan.observed import ClusterFacts, VmFacts, vmi_key
from pulumi_kubevirt.plan.policy import (
    POOL_UPDATE_RULES,
    RuleContext,
    Verdict,
    classify_all,
    field_change,
    pool_update,
)
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

_VM_GROUP = "kubevirt.io"


def members(pool: ObjectKey, live: LiveState) -> list[tuple[ObjectKey, Mapping[str, Any]]]:
    """The live VMs this pool controls, by name."""
    return sorted(
        (
            (key, obj)
            for key, obj in live.objects.items()
            if key.kind == VM and key.namespace == pool.namespace and owner_pool(obj) == pool.name
        ),
        key=lambda item: item[0],
    )


def _member_desired(pool: Mapping[str, Any], key: ObjectKey) -> dict[str, Any]:
    template = (pool.get("spec") or {}).get("virtualMachineTemplate") or {}
    metadata = dict(template.get("metadata") or {})
    metadata.update(name=key.name, namespace=key.namespace)
    return normalise(
        {
            "apiVersion": f"{_VM_GROUP}/v1",
            "kind": VM,
            "metadata": metadata,
            "spec": template.get("spec") or {},
        }
    )


def _under(change: Diff, key: str) -> bool:
    keys = keys_of(change.path)
    return len(keys) > 1 and keys[0] == "spec" and keys[1] == key


def _after_strategy(update: PoolUpdate, change: Diff, verdict: Verdict, running: bool) -> Verdict:
    reason = POOL_UPDATE_RULES[update]
    if update is PoolUpdate.UNMANAGED:
        return Verdict(Impact.NO_EFFECT, reason)
    if update is PoolUpdate.OPPORTUNISTIC or not running:
        return verdict
    if _under(change, "dataVolumeTemplates"):
        return Verdict(Impact.DESTROYS_DATA, reason)
    if _under(change, "template"):
        return Verdict(max(verdict.impact, Impact.RESTART), reason)
    return verdict


def _member_plan(
    pool_key: ObjectKey,
    pool: Mapping[str, Any],
    member: tuple[ObjectKey, Mapping[str, Any]],
    *,
    live: LiveState,
    facts: ClusterFacts,
) -> ResourcePlan | None:
    key, obj = member
    want = _member_desired(pool, key)
    found = diff(comparable_live(obj, want), want)
    if not found:
        return None
    vm = VmFacts.from_live(obj, live.objects.get(vmi_key(key)), facts)
    ctx = RuleContext(VM, facts, vm=vm, desired=want, live=obj)
    update = pool_update(pool)
    changes: list[FieldChange] = []
    for change, (row, verdict) in zip(found, classify_all(found, ctx), strict=True):
        changes.append(field_change(VM, change, row, _after_strategy(update, change, verdict, vm.running)))
    impact = max_impact(c.impact for c in changes)
    action = Action.REPLACE if impact is Impact.DESTROYS_DATA else Action.UPDATE
    state = "running" if vm.running else "not running"
    note = f"member of VirtualMachinePool {pool_key.display().split(' ', 1)[1]} ({state}): {update} update"
    return ResourcePlan(
        key,
        action,
        impact,
        changes=tuple(changes),
        notes=(note,),
        unchanged_fields=max(count_leaves(want) - len(changes), 0),
        managed=False,
    )


def member_plans(
    pool_key: ObjectKey, pool: Mapping[str, Any], live: LiveState, facts: ClusterFacts
) -> list[ResourcePlan]:
    """One plan per member the pool changes, creates, or (by count) deletes."""
    owned = members(pool_key, live)
    planned = (_member_plan(pool_key, pool, member, live=live, facts=facts) for member in owned)
    plans = [plan for plan in planned if plan is not None]
    replicas = int((pool.get("spec") or {}).get("replicas", 1) or 0)
    missing = replicas - len(owned)
    create_note = "created by the pool controller from the pool's VM template"
    for name in new_member_names(pool_key.name, max(missing, 0), {key.name for key, _ in owned}):
        key = ObjectKey(_VM_GROUP, VM, pool_key.namespace, name)
        plans.append(ResourcePlan(key, Action.CREATE, Impact.NONE, notes=(create_note,), managed=False))
    return plans
