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
    PENDING_RESTARTS_TITLE,
    POLICY_HEADING,
    SENSITIVE,
    SENSITIVE_DRIFT,
    headline_items,
    pending_restart_text,
    plan_error_problem,
    policy_lines,
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


def stack_heading(what: str, *, stack: str, cluster: str) -> str:
    """``### Plan for stack `dev` on `prod-east` ``: a pull request gets one comment per stack, and each
    says which stack and which cluster it is about (a plan saved before stacks were recorded names only
    the cluster)."""
    where = _code(cluster or "(unnamed cluster)")
    return f"### {what} for stack {_code(stack)} on {where}" if stack else f"### {what} for {where}"


def plan_heading(plan: Plan) -> str:
    return stack_heading("Plan", stack=plan.stack, cluster=plan.cluster)


GITHUB_COMMENT_LIMIT = 65_536
"""The most characters GitHub accepts in an issue or pull-request comment body."""


def render_markdown(plan: Plan, *, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """Summary line, a table of changed resources (data loss and restarts first), then folded changes.

    The whole stays under ``max_chars`` (a GitHub comment by default): when the plan is larger, the worst
    resources keep their rows and details, and the rest are summarised in one closing line that says what
    was left out and where to see it all. The summary line always counts every change.
    """
    head = _head(plan)
    changed = _worst_first([r for r in plan.resources if r.action is not Action.NO_OP])
    if not changed:
        return _fit(head, max_chars)
    rows = [_resource_row(res) for res in changed]
    details = [_details(res) for res in changed]
    table_head = ["", "| | Resource | Action | Impact |", "|---|---|---|---|"]
    whole = "\n".join([*head, *table_head, *rows, *(line for block in details for line in block)]) + "\n"
    if len(whole) <= max_chars:
        return whole
    return _folded(head, table_head, rows, details, max_chars)


def _head(plan: Plan) -> list[str]:
    lines = [
        plan_heading(plan),
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
    if plan.pending_restarts:
        lines += ["", f"#### {PENDING_RESTARTS_TITLE}", ""]
        lines += [
            f"- {_cell(pending_restart_text(res.key, res.pending_restart))}"
            for res in plan.pending_restarts
            if res.pending_restart is not None
        ]
    policies = policy_lines(plan.migration_policies)
    if policies:
        lines += ["", f"#### {POLICY_HEADING}", ""]
        lines += [f"- {_cell(line)}" for line in policies]
    return lines


def _resource_row(res: ResourcePlan) -> str:
    marker = "❌" if res.errors else "⚠️" if res.impact >= Impact.REPLACE else ""
    return f"| {marker} | {res.key.kind} {_code(_where(res))} | {res.action} | {res.impact} |"


def _details(res: ResourcePlan) -> list[str]:
    if not (res.changes or res.notes or res.errors):
        return []
    summary = f"{res.key.display()}: {resource_status(res.action, res.impact)}"
    lines = ["", f"<details><summary>{_cell(summary)}</summary>", ""]
    if res.changes:
        lines += ["| Field | Live | Desired | Impact | Why |", "|---|---|---|---|---|"]
        lines += [_change_row(change) for change in res.changes]
    if res.changes and res.notes:
        lines.append("")
    lines += [f"Note: {_cell(note)}" for note in res.notes]
    if res.unchanged_fields:
        lines += ["", f"{res.unchanged_fields} unchanged fields not shown."]
    return [*lines, "", "</details>"]


_FOLD_NOTE_ROOM = 400
"""Characters kept free for the closing line that says what was folded away."""


def _folded(
    head: list[str], table_head: list[str], rows: list[str], details: list[list[str]], max_chars: int
) -> str:
    """The plan cut to ``max_chars``: rows first, worst on top, then the details of the worst resources."""
    out = _fit(head, max_chars - _FOLD_NOTE_ROOM).rstrip("\n").split("\n")
    used = sum(len(line) + 1 for line in out) + _FOLD_NOTE_ROOM
    shown_rows = 0
    for index, row in enumerate([*table_head, *rows]):
        if used + len(row) + 1 > max_chars:
            break
        out.append(row)
        used += len(row) + 1
        shown_rows = max(0, index + 1 - len(table_head))
    shown_details = 0
    for block in details[:shown_rows]:
        size = sum(len(line) + 1 for line in block)
        if used + size > max_chars:
            break
        out += block
        used += size
        shown_details += 1
    missing_rows = len(rows) - shown_rows
    missing_details = sum(1 for block in details[shown_details:] if block)
    parts = []
    if missing_rows:
        parts.append(f"{missing_rows} more changed resource(s) are not listed")
    if missing_details:
        parts.append(f"the field changes of {missing_details} resource(s) are not shown")
    out += [
        "",
        f"_Folded to stay under {max_chars:,} characters: {' and '.join(parts)}; the summary above counts "
        "every change. See them all with `kvplan plan --format text`, or save the plan with "
        "`--out plan.json` and read it with `kvplan show`._",
    ]
    return "\n".join(out) + "\n"


def _fit(lines: list[str], max_chars: int) -> str:
    """``lines`` joined, cut at the last whole line that fits (a plan of only errors can be that long)."""
    text = "\n".join(lines) + "\n"
    if len(text) <= max_chars:
        return text
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > max_chars - 120:
            break
        kept.append(line)
        used += len(line) + 1
    dropped = len(lines) - len(kept)
    kept += ["", f"_{dropped} more line(s) not shown, to stay under {max_chars:,} characters._"]
    return "\n".join(kept) + "\n"


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


def render_drift_markdown(findings: Sequence[DriftFinding], *, cluster: str = "", stack: str = "") -> str:
    """Drift as a table; platform-written fields folded away."""
    drifted = [f for f in findings if f.kind is not DriftKind.PLATFORM]
    platform = [f for f in findings if f.kind is DriftKind.PLATFORM]
    lines = [stack_heading("Drift", stack=stack, cluster=cluster), ""]
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
