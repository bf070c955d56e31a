"""GitHub Actions workflow commands (``::error title=...::message``) for a plan's errors and gated changes.

The runner turns each such line into an annotation on the run and the pull request. Messages come from the
same problems the text and Markdown show, which never carry a secret value (the planner redacts them first).
Escaping follows the runner's ``ActionCommand`` parser: ``%``, CR and LF in the message; also ``:`` and ``,``
in property values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.plan.gate import Finding, Verdict
from pulumi_kubevirt.plan.model import DriftFinding, DriftKind, Plan
from pulumi_kubevirt.plan.report.common import drift_text, plan_error_problem, refusal_problem

GITHUB_ACTIONS_VARIABLE = "GITHUB_ACTIONS"


class Annotations(enum.StrEnum):
    """``--annotations``: ``auto`` writes them when ``GITHUB_ACTIONS=true`` (set by every Actions runner)."""

    AUTO = "auto"
    GITHUB = "github"
    NONE = "none"

    def active(self, environ: Mapping[str, str]) -> bool:
        if self is Annotations.AUTO:
            return environ.get(GITHUB_ACTIONS_VARIABLE) == "true"
        return self is Annotations.GITHUB


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


ANNOTATIONS_PER_LEVEL = 10
"""GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job) and drops the
rest silently (actions/toolkit docs/problem-matchers.md, "Limitations"): past that, one notice counts them."""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: Level, title: str, message: str) -> str:
    """One workflow command line, escaped so no message can end it early or inject another command."""
    return f"::{level} title={_escape_property(title)}::{_escape_data(message)}"


def _problem_command(level: Level, title: str, problem: Problem) -> str:
    return command(level, f"{title}: {problem.path}" if problem.path else title, problem.sentences())


def plan_commands(plan: Plan, verdict: Verdict) -> tuple[str, ...]:
    """Errors (changes the API would reject) and refused changes as errors; changes the policy warns on
    as warnings. A plan the policy passes silently gives none. Titles name the stack and the impact."""
    stack = f" ({plan.stack})" if plan.stack else ""

    def finding_command(level: Level, finding: Finding) -> str:
        return _problem_command(level, f"kvplan {finding.impact}{stack}", refusal_problem(finding))

    errors = [
        _problem_command(Level.ERROR, f"kvplan rejected change{stack}", plan_error_problem(error))
        for error in plan.all_errors
    ]
    errors += [finding_command(Level.ERROR, finding) for finding in _worst_first(verdict.refused)]
    warnings = [finding_command(Level.WARNING, finding) for finding in _worst_first(verdict.warned)]
    return (
        *_capped(errors, f"rejected or refused changes{stack}"),
        *_capped(warnings, f"warned changes{stack}"),
    )


def _worst_first(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda finding: -finding.impact.rank)


def _capped(lines: Sequence[str], what: str) -> list[str]:
    """The first ``ANNOTATIONS_PER_LEVEL`` lines, then a notice counting the rest (the plan has them all)."""
    if len(lines) <= ANNOTATIONS_PER_LEVEL:
        return list(lines)
    rest = len(lines) - ANNOTATIONS_PER_LEVEL
    note = (
        f"{rest} more {what} are not annotated (GitHub shows {ANNOTATIONS_PER_LEVEL}); "
        "the plan lists them all"
    )
    return [*lines[:ANNOTATIONS_PER_LEVEL], command(Level.NOTICE, "kvplan", note)]


def drift_commands(findings: Sequence[DriftFinding]) -> tuple[str, ...]:
    """A warning per drifted field or deleted object; platform-written fields are not drift."""
    lines = [
        command(Level.WARNING, f"kvplan drift {f.kind}", drift_text(f))
        for f in findings
        if f.kind is not DriftKind.PLATFORM
    ]
    return tuple(_capped(lines, "drifted fields"))


def error_commands(title: str, problems: Sequence[Problem]) -> tuple[str, ...]:
    """A user error (bad program, unreachable cluster) as one annotation per problem."""
    return tuple(_capped([_problem_command(Level.ERROR, title, problem) for problem in problems], "problems"))
