"""Plan and drift as versioned JSON (``schemas/plan.schema.json``), and back, so ``kvplan show`` re-renders.

Version 1. Readers check ``schema`` and ``version``; additive fields keep the version, anything else bumps it.
Secret values are never written: ``before``/``after`` are null and ``secret`` is true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_kubevirt.plan.migration import MigrationPolicies, PolicySelection, VmPolicy
from pulumi_kubevirt.plan.model import (
    Action,
    ChangeOp,
    DriftFinding,
    DriftKind,
    FieldChange,
    Impact,
    PendingRestart,
    Plan,
    PlanError,
    ResourcePlan,
)
from pulumi_kubevirt.plan.state import ObjectKey

PLAN_SCHEMA = "pulumi-kubevirt/plan"
DRIFT_SCHEMA = "pulumi-kubevirt/drift"
VERSION = 1


class PlanFormatError(ValueError):
    """A JSON document that is not a plan this version can read."""


def _key(key: ObjectKey) -> dict[str, str]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}


def _key_from(data: Mapping[str, Any]) -> ObjectKey:
    return ObjectKey(str(data["group"]), str(data["kind"]), str(data["namespace"]), str(data["name"]))


def _error(err: PlanError) -> dict[str, Any]:
    return {
        "title": err.title,
        "path": err.path,
        "message": err.message,
        "fix": err.fix,
        "rule": err.rule,
        "object": _key(err.key) if err.key else None,
    }


def _error_from(data: Mapping[str, Any]) -> PlanError:
    obj = data.get("object")
    return PlanError(
        path=data["path"],
        message=data["message"],
        fix=data["fix"],
        rule=data["rule"],
        title=data.get("title", ""),
        key=_key_from(obj) if obj else None,
    )


def _change(change: FieldChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "op": str(change.op),
        "before": None if change.secret else change.before,
        "after": None if change.secret else change.after,
        "impact": str(change.impact),
        "rule": change.rule,
        "reason": change.reason,
        "source": change.source,
        "secret": change.secret,
        "forces_replacement": change.forces_replacement,
    }


def _change_from(data: Mapping[str, Any]) -> FieldChange:
    return FieldChange(
        path=data["path"],
        before=data["before"],
        after=data["after"],
        impact=Impact(data["impact"]),
        rule=data["rule"],
        reason=data["reason"],
        source=data["source"],
        secret=bool(data["secret"]),
        op=ChangeOp(data["op"]),
        forces_replacement=bool(data.get("forces_replacement", False)),
    )


def _policies(section: MigrationPolicies) -> dict[str, Any]:
    return {
        "policies": [
            {
                "policy": p.policy,
                "from_stack": p.from_stack,
                "selects": list(p.selects),
                "outranked_on": list(p.outranked_on),
            }
            for p in section.policies
        ],
        "vms": [
            {
                "vm": v.vm,
                "policy": v.policy,
                "outranks": list(v.outranks),
                "namespace_labels_known": v.namespace_labels_known,
            }
            for v in section.vms
        ],
        "source": section.source,
    }


def _policies_from(data: Mapping[str, Any] | None) -> MigrationPolicies:
    if not data:
        return MigrationPolicies()
    return MigrationPolicies(
        policies=tuple(
            PolicySelection(
                str(p["policy"]), bool(p["from_stack"]), tuple(p["selects"]), tuple(p["outranked_on"])
            )
            for p in data["policies"]
        ),
        vms=tuple(
            VmPolicy(str(v["vm"]), str(v["policy"]), tuple(v["outranks"]), bool(v["namespace_labels_known"]))
            for v in data["vms"]
        ),
        source=str(data["source"]),
    )


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict; serialise with ``sort_keys=True`` for byte-identical output.

    ``migration_policies`` is written only when the stack declares a policy (an additive field).
    """
    summary = plan.summary()
    extra = (
        {"migration_policies": _policies(plan.migration_policies)} if plan.migration_policies.policies else {}
    )
    return {
        **extra,
        "schema": PLAN_SCHEMA,
        "version": VERSION,
        "cluster": plan.cluster,
        "stack": plan.stack,
        "facts": dict(plan.facts),
        "summary": {name: getattr(summary, name) for name in summary.__slots__},
        "has_changes": plan.has_changes,
        "max_impact": str(plan.max_impact),
        "errors": [_error(e) for e in plan.errors],
        "resources": [_resource(res) for res in plan.resources],
    }


def _resource(res: ResourcePlan) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": _key(res.key),
        "action": str(res.action),
        "impact": str(res.impact),
        "managed": res.managed,
        "unchanged_fields": res.unchanged_fields,
        "notes": list(res.notes),
        "errors": [_error(e) for e in res.errors],
        "changes": [_change(c) for c in res.changes],
    }
    if res.pending_restart is not None:
        # Additive (version 1 readers that ignore it still read the rest): only VMs that have one.
        out["pending_restart"] = {"message": res.pending_restart.message, "since": res.pending_restart.since}
    return out


def _pending_from(data: Mapping[str, Any] | None) -> PendingRestart | None:
    return PendingRestart(str(data["message"]), str(data["since"])) if data is not None else None


def _check_header(data: Mapping[str, Any], schema: str) -> None:
    if not isinstance(data, Mapping) or data.get("schema") != schema:
        raise PlanFormatError(f"Not a {schema} document: its 'schema' field is {data.get('schema')!r}.")
    if data.get("version") != VERSION:
        raise PlanFormatError(
            f"{schema} version {data.get('version')!r} cannot be read by this version (reads {VERSION}); "
            "re-create it with the same pulumi-kubevirt version."
        )


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """Rebuild a Plan from ``plan_to_json`` output; raises PlanFormatError for another schema or version."""
    _check_header(data, PLAN_SCHEMA)
    try:
        return Plan(
            resources=tuple(
                ResourcePlan(
                    key=_key_from(res["object"]),
                    action=Action(res["action"]),
                    impact=Impact(res["impact"]),
                    changes=tuple(_change_from(c) for c in res["changes"]),
                    errors=tuple(_error_from(e) for e in res["errors"]),
                    notes=tuple(str(n) for n in res["notes"]),
                    unchanged_fields=int(res["unchanged_fields"]),
                    managed=bool(res["managed"]),
                    pending_restart=_pending_from(res.get("pending_restart")),
                )
                for res in data["resources"]
            ),
            cluster=str(data["cluster"]),
            stack=str(data.get("stack", "")),
            facts=tuple(sorted((str(k), str(v)) for k, v in data["facts"].items())),
            errors=tuple(_error_from(e) for e in data["errors"]),
            migration_policies=_policies_from(data.get("migration_policies")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFormatError(f"The plan document is incomplete or malformed: {exc!r}.") from exc


def drift_to_json(findings: Sequence[DriftFinding], *, cluster: str = "", stack: str = "") -> dict[str, Any]:
    """Drift findings as a JSON-ready dict (secret values never written)."""
    return {
        "schema": DRIFT_SCHEMA,
        "version": VERSION,
        "cluster": cluster,
        "stack": stack,
        "findings": [
            {
                "object": _key(f.key),
                "kind": str(f.kind),
                "path": f.path,
                "desired": None if f.secret else f.desired,
                "live": None if f.secret else f.live,
                "manager": f.manager,
                "operation": f.operation,
                "time": f.time,
                "secret": f.secret,
                "reason": f.reason,
            }
            for f in findings
        ],
    }


def drift_from_json(data: Mapping[str, Any]) -> tuple[DriftFinding, ...]:
    """Rebuild findings from ``drift_to_json`` output."""
    _check_header(data, DRIFT_SCHEMA)
    try:
        return tuple(
            DriftFinding(
                key=_key_from(f["object"]),
                kind=DriftKind(f["kind"]),
                path=f["path"],
                desired=f["desired"],
                live=f["live"],
                manager=f["manager"],
                operation=f["operation"],
                time=f["time"],
                secret=bool(f["secret"]),
                reason=f["reason"],
            )
            for f in data["findings"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFormatError(f"The drift document is incomplete or malformed: {exc!r}.") from exc
