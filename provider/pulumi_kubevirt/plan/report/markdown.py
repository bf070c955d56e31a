"""The plan and drift for a pull-request comment: summary and a table first (worst on top), details folded."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_kubevirt.facts.live_update import POLICY
from pulumi_kubevirt.facts.pattern import format_pattern
from pulumi_kubevirt.facts.platform import PLATFORM_FIELDS, SERVER_METADATA
from pulumi_kubevirt.plan.model import (
    Action,
    DriftFinding,
    DriftKind,
    FieldChange,
    Impact,
    Plan,
    ResourcePlan,
)
from pulumi_kubevirt.plan.report.common import (
    SENSITIVE,
    SENSITIVE_DRIFT,
    headline_items,
    plan_error_problem,
    resource_status,
    value,
)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else f"``{_cell(text)}``"


def _worst_first(resources: Sequence[ResourcePlan]) -> list[ResourcePlan]:
    """Rejected changes, then data loss and restarts on top; equal impact keeps apply order."""
    indexed = list(enumerate(resources))
    indexed.sort(
        key=lambda pair: (not pair[1].errors, -pair[1].impact.rank, pair[1].action is Action.CREATE, pair[0])
    )
    return [res for _, res in indexed]


def render_markdown(plan: Plan) -> str:
    """Summary line, a table of changed resources (data loss and restarts first), then folded changes."""
    cluster = plan.cluster or "(unnamed cluster)"
    lines = [
        f"### Plan for `{cluster}`",
        "",
        f"KubeVirt rollout: `{plan.fact('rollout', 'unknown')}`, "
        f"workload updates: `{plan.fact('workload-update-methods', 'none')}`",
        "",
    ]
    items = headline_items(plan.summary())
    lines.append("**" + " · ".join(text for _, text in items) + "**" if items else "**No changes.**")
    errors = plan.all_errors
    if errors:
        lines += ["", "#### Errors", ""]
        for err in errors:
            problem = plan_error_problem(err)
            where = f"{_code(problem.path)}: " if problem.path else ""
            lines.append(f"- {where}{_cell(problem.sentences())}")
    changed = _worst_first([r for r in plan.resources if r.action is not Action.NO_OP])
    if not changed:
        return "\n".join(lines) + "\n"
    lines += ["", "| | Resource | Action | Impact |", "|---|---|---|---|"]
    for res in changed:
        marker = "❌" if res.errors else "⚠️" if res.impact >= Impact.REPLACE else ""
        lines.append(f"| {marker} | {res.key.kind} {_code(_where(res))} | {res.action} | {res.impact} |")
    for res in changed:
        if not (res.changes or res.notes or res.errors):
            continue
        summary = f"{res.key.display()}: {resource_status(res.action, res.impact)}"
        lines += ["", f"<details><summary>{_cell(summary)}</summary>", ""]
        if res.changes:
            lines += ["| Field | Live | Desired | Impact | Why |", "|---|---|---|---|---|"]
            lines += [_change_row(change) for change in res.changes]
        if res.changes and res.notes:
            lines.append("")
        lines += [f"Note: {_cell(note)}" for note in res.notes]
        if res.unchanged_fields:
            lines += ["", f"{res.unchanged_fields} unchanged fields not shown."]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _where(res: ResourcePlan) -> str:
    return f"{res.key.namespace}/{res.key.name}" if res.key.namespace else res.key.name


def _change_row(change: FieldChange) -> str:
    if change.secret:
        before = after = SENSITIVE
    else:
        before = "—" if change.before is None else _code(value(change.before))
        after = "—" if change.after is None else _code(value(change.after))
    why = ("forces replacement: " if change.forces_replacement else "") + change.reason
    why = f"{_cell(why)} ({_cell(change.rule)})"
    return f"| {_code(change.path)} | {before} | {after} | {change.impact} | {why} |"


def render_drift_markdown(findings: Sequence[DriftFinding], *, cluster: str = "") -> str:
    """Drift as a table; platform-written fields folded away."""
    drifted = [f for f in findings if f.kind is not DriftKind.PLATFORM]
    platform = [f for f in findings if f.kind is DriftKind.PLATFORM]
    lines = [f"### Drift for `{cluster or '(unnamed cluster)'}`", ""]
    if not drifted:
        lines.append("**No drift.**")
    else:
        lines += [
            f"**{len(drifted)} drifted field(s) on {len({f.key for f in drifted})} object(s)**",
            "",
            "| Kind | Object | Field | Desired | Live | Changed by | When |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [_drift_row(f) for f in drifted]
    if platform:
        lines += ["", f"<details><summary>{len(platform)} platform-written field(s)</summary>", ""]
        lines += ["| Object | Field | Live | Why |", "|---|---|---|---|"]
        for f in platform:
            lines.append(
                f"| {_code(f.key.display())} | {_code(f.path)} | {_code(value(f.live))} | {_cell(f.reason)} |"
            )
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _drift_row(f: DriftFinding) -> str:
    if f.kind is DriftKind.DELETED:
        desired = live = "—"
    elif f.secret:
        desired, live = SENSITIVE_DRIFT, SENSITIVE_DRIFT
    else:
        desired = "—" if f.desired is None else _code(value(f.desired))
        live = "—" if f.live is None else _code(value(f.live))
    path = _code(f.path) if f.path else "(whole object)"
    manager = _cell(f.manager) if f.manager else "unknown"
    return (
        f"| {f.kind} | {_code(f.key.display())} | {path} | {desired} | {live} | {manager} | {f.time or '—'} |"
    )


def render_policy_reference() -> str:
    """The policy and platform tables as Markdown, for ``docs/plan.md`` (a test keeps the two in sync)."""
    lines = ["| Rule | Kind | Path | Impact | Why | Upstream source |", "|---|---|---|---|---|---|"]
    for row in POLICY:
        decided = str(row.impact) if row.impact is not None else f"rule `{row.rule}`"
        if row.replaces:
            decided += ", forces replacement"
        cells = (
            f"`{row.id}`",
            row.kind,
            _code(format_pattern(row.pattern)),
            decided,
            _cell(row.reason),
            _cell(str(row.source)),
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| Platform-written field | Kind | Treatment | Why | Upstream source |",
        "|---|---|---|---|---|",
    ]
    for field in PLATFORM_FIELDS:
        lines.append(
            f"| {_code(format_pattern(field.pattern))} | {field.kind} | {field.treatment} | "
            f"{_cell(field.reason)} | {_cell(str(field.source))} |"
        )
    lines += ["", "| Dropped before comparing | Why | Source |", "|---|---|---|"]
    lines += [
        f"| {_code(format_pattern(f.path))} | {_cell(f.reason)} | {_cell(str(f.source))} |"
        for f in SERVER_METADATA
    ]
    return "\n".join(lines) + "\n"
