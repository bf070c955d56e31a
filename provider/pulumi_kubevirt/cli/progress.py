"""What a long command is doing, on one line of a terminal; nothing at all when the output is not one.

A plan of thousands of VMs takes seconds: a person at a terminal sees which step is running ("reading 7
kinds in 20 namespaces"), while CI logs and pipes get no progress noise.
"""

from __future__ import annotations

from typing import TextIO

_CLEAR_LINE = "\r\033[K"


class Progress:
    """One status line on ``stream`` when it is a terminal, rewritten at each step and cleared at the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = False
        isatty = getattr(stream, "isatty", None)
        self._enabled = bool(isatty()) if callable(isatty) else False

    def step(self, text: str) -> None:
        if self._enabled:
            self._stream.write(f"{_CLEAR_LINE}{text}")
            self._stream.flush()
            self._shown = True

    def note(self, text: str) -> None:
        """A line that stays (a note for the user), written above the status line."""
        self.done()
        self._stream.write(f"{text}\n")

    def done(self) -> None:
        if self._shown:
            self._stream.write(_CLEAR_LINE)
            self._stream.flush()
            self._shown = False
