"""User-facing problems: each names the path, what is wrong and how to fix it; all are collected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the input at ``path`` (the one path syntax), with a ``fix`` the user can apply."""

    path: str
    message: str
    fix: str

    def line(self) -> str:
        """``fleet.vms.web.disks[1].size: "10 GB" is not a Kubernetes quantity; write 10Gi or 10G``."""
        return f"{self.path}: {self.message}; {self.fix}" if self.fix else f"{self.path}: {self.message}"


def sort_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Sorted by path (then message), duplicates dropped, so output is stable whatever the check order."""
    return tuple(sorted(set(problems)))


class ValidationError(Exception):
    """Every problem found in one input, sorted by path."""

    def __init__(self, problems: Iterable[Problem], title: str = "The configuration is not valid") -> None:
        self.problems: tuple[Problem, ...] = sort_problems(problems)
        self.title = title
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.title} ({count} {noun}):"]
        lines.extend(f"  {problem.line()}" for problem in self.problems)
        return "\n".join(lines)


def raise_if_problems(problems: Iterable[Problem], title: str = "The configuration is not valid") -> None:
    """Raise ValidationError holding all ``problems`` when there is at least one."""
    collected = tuple(problems)
    if collected:
        raise ValidationError(collected, title)
