"""The plan and drift for a terminal: summary first, then a block per changed resource; colour on request."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_kubevirt.plan.model import Action, DriftFinding, DriftKind, Impact, Plan, PlanError, ResourcePlan
from pulumi_kubevirt.plan.report.common import (
    ACTION_SYMBOLS,
    PENDING_RESTARTS_TITLE,
    POLICY_HEADING,
    change_comment,
    change_text,
    drift_text,
    headline_items,
    pending_restart_text,
    plan_error_problem,
    policy_lines,
    resource_status,
)

_RESET = "\033[0m"
_COLOURS: dict[str, str] = {
    "red": "\033[31m",
    "yellow": "\033[33m",
    "green": "\033[32m",
    "cyan": "\033[36m",
    "dim": "\033[2m",
    "bold": "\033[1m",
}
_IMPACT_COLOUR: dict[Impact, str] = {
    Impact.NONE: "dim",
    Impact.NO_EFFECT: "dim",
    Impact.LIVE: "cyan",
    Impact.LIVE_MIGRATION: "cyan",
    Impact.RESTART: "yellow",
    Impact.REPLACE: "red",
    Impact.DESTROYS_DATA: "red",
}
_ACTION_COLOUR: dict[Action, str] = {
    Action.NO_OP: "dim",
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "red",
    Action.DELETE: "red",
}
_SYMBOL_COLOUR = {"x": "red", "!": "red", "-/+": "red", "~": "yellow", "+": "green", "-": "red"}
INDENT = "      "
NAME_WIDTH = 40


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, colour: str) -> str:
        return f"{_COLOURS[colour]}{text}{_RESET}" if self.enabled else text


def render_text(plan: Plan, *, color: bool, verbose: bool = False) -> str:
    """The plan as a reviewer reads it in a terminal; ``verbose`` adds unchanged objects and rule sources."""
    paint = _Paint(color)
    lines = [_header(plan), ""]
    items = headline_items(plan.summary())
    if items:
        lines.append("  " + "   ".join(paint(f"{sym} {text}", _SYMBOL_COLOUR[sym]) for sym, text in items))
    else:
        lines.append("  No changes: the cluster matches the code.")
    if plan.errors:
        lines += ["", paint("Errors:", "red")]
        lines += [_error_line(err, paint) for err in plan.errors]
    if plan.pending_restarts:
        lines += ["", paint(f"{PENDING_RESTARTS_TITLE}:", "yellow")]
        lines += [
            paint(f"{INDENT}~ {pending_restart_text(res.key, res.pending_restart)}", "yellow")
            for res in plan.pending_restarts
            if res.pending_restart is not None
        ]
    policies = policy_lines(plan.migration_policies)
    if policies:
        lines += ["", f"  {POLICY_HEADING}:"]
        lines += [f"{INDENT}{line}" for line in policies]
    shown = [r for r in plan.resources if verbose or r.action is not Action.NO_OP]
    if shown:
        lines.append("")
    for res in shown:
        lines += _resource_lines(res, paint, verbose)
    return "\n".join(lines) + "\n"


def _header(plan: Plan) -> str:
    cluster = plan.cluster or "(unnamed cluster)"
    rollout = plan.fact("rollout", "unknown")
    methods = plan.fact("workload-update-methods", "none")
    return f"Plan for cluster {cluster}, KubeVirt rollout: {rollout}, workload updates: {methods}"


def _error_line(err: PlanError, paint: _Paint) -> str:
    return paint(f"{INDENT}x {plan_error_problem(err).line()}", "red")


def _resource_lines(res: ResourcePlan, paint: _Paint, verbose: bool) -> list[str]:
    symbol = ACTION_SYMBOLS[res.action]
    status = resource_status(res.action, res.impact)
    colour = _IMPACT_COLOUR[res.impact] if res.action is Action.UPDATE else _ACTION_COLOUR[res.action]
    head = f"  {symbol:<4}{res.key.display():<{NAME_WIDTH}} {status}"
    lines = [paint(head, colour)]
    for change in res.changes:
        comment = f"# {change_comment(change)}"
        if verbose:
            comment += f" [{change.rule}: {change.source}]"
        lines.append(f"{INDENT}{change_text(change)}   {paint(comment, 'dim')}")
    lines += [_error_line(err, paint) for err in res.errors]
    lines += [f"{INDENT}note: {note}" for note in res.notes]
    if res.unchanged_fields and res.action is not Action.NO_OP:
        lines.append(paint(f"{INDENT}({res.unchanged_fields} unchanged fields hidden)", "dim"))
    return lines


def render_drift_text(
    findings: Sequence[DriftFinding], *, cluster: str = "", color: bool = False, verbose: bool = False
) -> str:
    """Drift as one line per finding; platform findings only when ``verbose``."""
    paint = _Paint(color)
    shown = [f for f in findings if verbose or f.kind is not DriftKind.PLATFORM]
    platform = sum(1 for f in findings if f.kind is DriftKind.PLATFORM)
    drifted = [f for f in findings if f.kind is not DriftKind.PLATFORM]
    lines = [f"Drift for cluster {cluster or '(unnamed cluster)'}", ""]
    if drifted:
        objects = len({f.key for f in drifted})
        lines.append(f"  ! {len(drifted)} drifted field(s) on {objects} object(s)")
    else:
        lines.append("  No drift: the cluster matches the code on every field it declares.")
    if platform and not verbose:
        lines.append(f"  ({platform} platform-written field(s) hidden; use verbose to list them)")
    if shown:
        lines.append("")
    for finding in shown:
        colour = {DriftKind.DELETED: "red", DriftKind.MODIFIED: "yellow", DriftKind.PLATFORM: "dim"}[
            finding.kind
        ]
        lines.append(paint(f"  {finding.kind:<9} {drift_text(finding)}", colour))
    return "\n".join(lines) + "\n"
