"""The dev cluster's one error type, and the log tail its messages quote."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

LOG_TAIL_LINES = 25


class ControlPlaneError(RuntimeError):
    """The control plane could not be had or started; the message says what, why and what to do."""


def tail(lines: Sequence[str], count: int = LOG_TAIL_LINES) -> str:
    """The last ``count`` lines, indented for a message."""
    return "\n".join(f"    {line}" for line in lines[-count:]) or "    (no output)"


def log_tail(path: Path) -> str:
    try:
        return tail(path.read_text(errors="replace").splitlines())
    except OSError:
        return "    (no log)"
