"""The one shape of every user-facing error: a title, then one line per problem, each in full sentences.

::

    The configuration is not valid (2 problems):
      - fleet.disks.data.size: "10 GB" is not a Kubernetes quantity. Write 10Gi or 10G.
      - fleet.vms.web.memory.guest: "4 GB" is not a Kubernetes quantity. Write 4Gi or 4G.

A :class:`Problem` is what is wrong at one path (the one path syntax, or a file, a flag, a request), why
when it is not obvious, and how to fix it. :class:`UserError` holds a title and every problem found, so the
user sees them all at once. Validation, plan, live-read, program and CLI errors are all ``UserError``s (or
render their problems through :meth:`Problem.line`); the CLI prints ``str(error)`` and never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_SENTENCE_ENDS = (".", "!", "?")


def sentence(text: str, *, capital: bool = True) -> str:
    """``text`` as a sentence: a capital first letter (when ``capital``) and a final full stop.

    Only a first word made of lower-case letters is capitalised, so a leading path, flag or command
    (``spec.running``, ``--kubeconfig``) is left as written.
    """
    text = text.strip().rstrip(";,:").rstrip()
    if not text:
        return ""
    first_word = text.split(" ", 1)[0]
    if capital and first_word.isalpha() and first_word.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith(_SENTENCE_ENDS) else text + "."


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """What is wrong at ``path`` (``message``), why it matters (``why``, optional), what to do (``fix``)."""

    path: str
    message: str
    fix: str
    why: str = ""

    def sentences(self) -> str:
        """What, why and fix as sentences (the message follows the path, so it keeps its first letter)."""
        parts = [sentence(self.message, capital=not self.path), sentence(self.why), sentence(self.fix)]
        return " ".join(part for part in parts if part)

    def line(self) -> str:
        """``fleet.vms.web.disks[1].size: "10 GB" is not a Kubernetes quantity. Write 10Gi or 10G.``"""
        return f"{self.path}: {self.sentences()}" if self.path else self.sentences()


def sort_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Sorted by path (then message), duplicates dropped, so output is stable whatever the check order."""
    return tuple(sorted(set(problems)))


def render_error(title: str, problems: Iterable[Problem]) -> str:
    """The one shape: ``Title (N problems):`` (no count for one), then ``  - `` and each problem's line."""
    listed = tuple(problems)
    count = len(listed)
    heading = title.strip().rstrip(".:")
    if count > 1:
        heading += f" ({count} problems)"
    lines = [heading + ":"]
    lines.extend(f"  - {problem.line()}" for problem in listed)
    return "\n".join(lines)


class UserError(Exception):
    """A mistake the user can fix (or a condition they must act on); ``str()`` is the whole message.

    ``problems`` keep the order given (``sorted_problems=True`` sorts them by path and drops duplicates).
    """

    def __init__(self, title: str, problems: Iterable[Problem], *, sorted_problems: bool = False) -> None:
        collected = tuple(problems)
        self.title = title
        self.problems: tuple[Problem, ...] = sort_problems(collected) if sorted_problems else collected
        super().__init__(render_error(self.title, self.problems))

    def __str__(self) -> str:
        return render_error(self.title, self.problems)


def user_error(title: str, path: str, message: str, fix: str, why: str = "") -> UserError:
    """A ``UserError`` with one problem: the common case for files, flags and connections."""
    return UserError(title, [Problem(path, message, fix, why)])


class ValidationError(UserError):
    """Every problem found in one input, sorted by path."""

    def __init__(self, problems: Iterable[Problem], title: str = "The configuration is not valid") -> None:
        super().__init__(title, problems, sorted_problems=True)


def raise_if_problems(problems: Iterable[Problem], title: str = "The configuration is not valid") -> None:
    """Raise ValidationError holding all ``problems`` when there is at least one."""
    collected = tuple(problems)
    if collected:
        raise ValidationError(collected, title)
