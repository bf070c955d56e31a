"""Words and value formatting shared by the renderers and the preview (they format; they decide nothing).

``kvplan plan``'s text and Markdown, and the warnings and errors of ``pulumi preview``, all phrase a change
with these functions, so the same change reads the same wherever it is shown.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.paths import Segment, format_path
from pulumi_kubevirt.plan.gate import FAIL_ON_FLAG, Finding
from pulumi_kubevirt.plan.migration import MigrationPolicies
from pulumi_kubevirt.plan.model import (
    Action,
    DriftFinding,
    DriftKind,
    FieldChange,
    Impact,
    PendingRestart,
    PlanError,
    PlanSummary,
)
from pulumi_kubevirt.plan.state import ObjectKey

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


def path_text(path: str | tuple[Segment, ...]) -> str:
    """A path as the user reads it: the one path syntax (the engine may carry it as segments)."""
    return path if isinstance(path, str) else format_path(path)


def change_text(change: FieldChange) -> str:
    """``path: before -> after`` (``+ path: after`` when added, ``- path: before`` when removed)."""
    path = path_text(change.path)
    if change.secret:
        return f"{path}: {SENSITIVE}"
    if change.before is None:
        return f"+ {path}: {value(change.after)}"
    if change.after is None:
        return f"- {path}: {value(change.before)}"
    return f"{path}: {value(change.before)} -> {value(change.after)}"


def change_comment(change: FieldChange) -> str:
    """``forces replacement`` or ``restart: cores are not hot-pluggable``."""
    if change.forces_replacement:
        return f"forces replacement: {change.reason}"
    return f"{change.impact}: {change.reason}"


def finding_text(finding: Finding) -> str:
    """One judged change as the preview warns about it: the object, then the line ``kvplan plan`` prints.

    ``VirtualMachine prod/db: spec.template.spec.domain.cpu.cores: 2 -> 4   # restart: cores are not ...``
    """
    where = finding.key.display()
    if finding.change is not None:
        return f"{where}: {change_text(finding.change)}   # {change_comment(finding.change)}"
    res = finding.resource
    action = res.action if res is not None else Action.UPDATE
    text = f"{where}: {resource_status(action, finding.impact)}"
    notes = "; ".join(res.notes) if res is not None else ""
    return f"{text} ({notes})" if notes else text


def refusal_title(count: int) -> str:
    """The title over refused changes (the error shape adds the count when there are several)."""
    return "The disruption policy refuses " + (
        "a change in this plan" if count == 1 else "changes in this plan"
    )


def refusal_problem(finding: Finding) -> Problem:
    """A refused change as a problem: object and change, impact, the policy entry, how to pass."""
    change = finding.change
    res = finding.resource
    if change is not None:
        what = change_text(change)
        why = change.reason
    else:
        what = resource_status(res.action if res is not None else Action.UPDATE, finding.impact)
        why = "; ".join(res.notes) if res is not None else ""
    message = f"{what}; impact {finding.impact}, which {finding.origin} refuses"
    if finding.origin.startswith(FAIL_ON_FLAG):
        worse = [impact for impact in Impact if impact > finding.impact]
        accept = f"pass {FAIL_ON_FLAG} {worse[0]} (or leave it out)" if worse else f"leave {FAIL_ON_FLAG} out"
        fix = f"change the code so this change is not needed, or {accept} to accept it"
    else:
        fix = (
            f"change the code so this change is not needed, or set {finding.origin} to warn for this stack: "
            f"pulumi config set --path '{finding.origin}' warn"
        )
    return Problem(finding.key.display(), message, fix, why)


PENDING_RESTARTS_TITLE = "Pending restarts left by an earlier apply"


def pending_restart_text(key: ObjectKey, pending: PendingRestart) -> str:
    """A VM still running its old configuration, in KubeVirt's words, and what ends it."""
    since = f" since {pending.since}" if pending.since else ""
    message = pending.message or "no message"
    return (
        f"{key.display()}: restart pending{since} (RestartRequired: {message}); the running guest keeps its "
        "old configuration until the VM restarts"
    )


def plan_error_problem(err: PlanError) -> Problem:
    """A change the API server would reject, in the one error shape (object and path, what, why, fix)."""
    where = " ".join(part for part in (err.key.display() if err.key else "", path_text(err.path)) if part)
    return Problem(where, err.title or "Change rejected", err.fix, err.message)


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
    text = f"{where}: {path_text(finding.path)} {values}"
    if finding.manager:
        text += f", changed by {finding.manager}"
        if finding.time:
            text += f" at {finding.time}"
    elif finding.kind is DriftKind.MODIFIED:
        text += ", changed by an unknown manager"
    return text


POLICY_HEADING = (
    "Migration policies after the apply (KubeVirt gives each VM the most specific one that applies)"
)


def policy_lines(section: MigrationPolicies) -> list[str]:
    """One line per policy with the VMs it wins, then the VMs no policy selects; empty without policies."""
    if not section.policies:
        return []
    lines: list[str] = []
    for policy in section.policies:
        owner = "this stack" if policy.from_stack else "not this stack's"
        wins = ", ".join(policy.selects) if policy.selects else "no VM of this stack"
        line = f"{policy.policy} ({owner}): {wins}"
        if policy.outranked_on:
            line += f"; also applies to {', '.join(policy.outranked_on)}, where a more specific policy wins"
        lines.append(line)
    unselected = [v.vm for v in section.vms if not v.policy]
    if unselected:
        lines.append(f"no policy: {', '.join(unselected)} (the cluster-wide migration settings apply)")
    unknown = sorted({v.vm.split("/", 1)[0] for v in section.vms if not v.namespace_labels_known})
    if unknown:
        lines.append(
            f"namespace labels not known for {', '.join(unknown)}: "
            "namespace selectors were matched against none"
        )
    return lines
