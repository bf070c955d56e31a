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

    lines = [
        _problem_command(Level.ERROR, f"kvplan rejected change{stack}", plan_error_problem(error))
        for error in plan.all_errors
    ]
    lines += [finding_command(Level.ERROR, finding) for finding in verdict.refused]
    lines += [finding_command(Level.WARNING, finding) for finding in verdict.warned]
    return tuple(lines)


def drift_commands(findings: Sequence[DriftFinding]) -> tuple[str, ...]:
    """A warning per drifted field or deleted object; platform-written fields are not drift."""
    return tuple(
        command(Level.WARNING, f"kvplan drift {f.kind}", drift_text(f))
        for f in findings
        if f.kind is not DriftKind.PLATFORM
    )


def error_commands(title: str, problems: Sequence[Problem]) -> tuple[str, ...]:
    """A user error (bad program, unreachable cluster) as one annotation per problem."""
    return tuple(_problem_command(Level.ERROR, title, problem) for problem in problems)
