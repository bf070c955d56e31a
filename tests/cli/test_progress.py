"""Progress shows on a terminal only, one rewritten line, cleared before the command's own output."""

from __future__ import annotations

import io

from pulumi_kubevirt.cli.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_rewritten_line_cleared_at_the_end() -> None:
    stream = Terminal()
    progress = Progress(stream)
    progress.step("Reading 7 kinds in 20 namespaces...")
    progress.step("Comparing 25000 objects with the cluster...")
    progress.done()
    written = stream.getvalue()
    assert written.count("\r\033[K") == 3
    assert "\n" not in written
    assert written.endswith("\r\033[K")


def test_a_note_stays_on_its_own_line_above_the_status() -> None:
    stream = Terminal()
    progress = Progress(stream)
    progress.step("Reading...")
    progress.note("Note: kind X is not served")
    assert stream.getvalue().endswith("\r\033[KNote: kind X is not served\n")


def test_a_pipe_gets_no_progress_only_notes() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.step("Reading...")
    progress.done()
    assert stream.getvalue() == ""
    progress.note("Note: x")
    assert stream.getvalue() == "Note: x\n"
