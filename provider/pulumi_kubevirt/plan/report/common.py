"""Words and value formatting shared by the renderers (they format a Plan; they decide nothing)."""

from __future__ import annotations

import json
from typing import Any

from pulumi_kubevirt.plan.model import Action, DriftFinding, DriftKind, FieldChange, Impact, PlanSummary

SENSITIVE = "(sensitive value changed)"
SENSITIVE_DRIFT = "(sensitive value differs)"
MAX_VALUE_CHARS = 80

IMPACT_WORDS: dict[Impact, str] = {
    Impact.NONE: "no runtime effect",
    Impact.NO_EFFECT: "no effect on the running guest",
    Impact.LIVE: "live",
    Impact.LIVE_MIGRATION: "live (via migration)",
    Impact.RESTART: "restart required",
    Impact.REPLACE: "replaced",
    Impact.DESTROYS_DATA: "DESTROYS DATA",
}

ACTION_SYMBOLS: dict[Action, str] = {
    Action.NO_OP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
}

HEADLINE_WORDS: dict[str, tuple[str, str, str]] = {
    "errors": ("x", "error", "errors"),
    "data_loss": ("!", "resource loses data", "resources lose data"),
    "replaced": ("-/+", "replaced", "replaced"),
    "restarts": ("~", "restart", "restarts"),
    "live_migrations": ("~", "updated live via migration", "updated live via migration"),
    "live_updates": ("~", "updated live", "updated live"),
    "no_effect": ("~", "change with no effect", "changes with no effect"),
    "updated": ("~", "updated", "updated"),
    "created": ("+", "created", "created"),
    "deleted": ("-", "deleted", "deleted"),
}


def headline_items(summary: PlanSummary) -> list[tuple[str, str]]:
    """``(symbol, text)`` for each non-zero headline, worst first."""
    items: list[tuple[str, str]] = []
    for name, count in summary.headlines():
        symbol, one, many = HEADLINE_WORDS[name]
        items.append((symbol, f"{count} {one if count == 1 else many}"))
    return items


def resource_status(action: Action, impact: Impact) -> str:
    """``update, restart required``; ``create``; ``delete, DESTROYS DATA``."""
    if action is Action.CREATE or (action in (Action.NO_OP, Action.DELETE) and impact is Impact.NONE):
        return str(action)
    if action is Action.UPDATE and impact is Impact.NONE:
        return "update"
    return f"{action}, {IMPACT_WORDS[impact]}"


def value(data: Any) -> str:
    """A value as compact, deterministic JSON, shortened when long."""
    text = json.dumps(data, sort_keys=True, separators=(", ", ": "), ensure_ascii=False, default=str)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 3] + "..."
    return text


def change_text(change: FieldChange) -> str:
    """``path: before -> after`` (``+ path: after`` when added, ``- path: before`` when removed)."""
    if change.secret:
        return f"{change.path}: {SENSITIVE}"
    if change.before is None:
        return f"+ {change.path}: {value(change.after)}"
    if change.after is None:
        return f"- {change.path}: {value(change.before)}"
    return f"{change.path}: {value(change.before)} -> {value(change.after)}"


def change_comment(change: FieldChange) -> str:
    """``forces replacement`` or ``restart: cores are not hot-pluggable``."""
    if change.forces_replacement:
        return f"forces replacement: {change.reason}"
    return f"{change.impact}: {change.reason}"


def drift_text(finding: DriftFinding) -> str:
    """One finding as a sentence: path, values, who changed it and when."""
    where = finding.key.display()
    if finding.kind is DriftKind.DELETED:
        return f"{where}: {finding.reason}"
    if finding.secret:
        values = SENSITIVE_DRIFT
    elif finding.kind is DriftKind.PLATFORM:
        values = f"{value(finding.live)} (written by the platform)"
    else:
        values = f"{value(finding.desired)} -> {value(finding.live)}"
    text = f"{where}: {finding.path} {values}"
    if finding.manager:
        text += f", changed by {finding.manager}"
        if finding.time:
            text += f" at {finding.time}"
    elif finding.kind is DriftKind.MODIFIED:
        text += ", changed by an unknown manager"
    return text
