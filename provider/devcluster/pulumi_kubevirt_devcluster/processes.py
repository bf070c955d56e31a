"""Running the control plane's processes and stopping them by pid: at ``stop()``, at exit, on SIGTERM/SIGINT,
and (through ``PR_SET_PDEATHSIG``) when the owning process dies, even by SIGKILL.

A detached process (``kvdev up``) is stopped later by pid *and* start time: a reused pid is never signalled.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

STOP_TIMEOUT_SECONDS = 10.0


class Stoppable(Protocol):
    def stop(self) -> None: ...


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports; all sockets are held open together so the kernel gives distinct ones."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


_PR_SET_PDEATHSIG = 1
_LIBC: Any = None
with contextlib.suppress(OSError):
    _LIBC = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM if the parent dies, even by SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: Sequence[str], log_path: Path, cwd: Path, detached: bool) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own session, output appended to ``log_path``; dies with us unless detached."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            # The hook only calls prctl(2) through a libc handle loaded at import: no locks taken.
            preexec_fn=None if detached else _die_with_parent,  # noqa: PLW1509
        )


def process_start_time(pid: int) -> int | None:
    """The start time of a process in clock ticks since boot (``/proc/PID/stat`` field 22), None if gone.

    Recorded with a pid so a later ``down`` never signals an unrelated process that reused the pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True if the pid runs (not a zombie) and, when given, started at ``start_time``."""
    current = process_start_time(pid)
    return current is not None and (start_time is None or current == start_time)


def stop_pid(pid: int, start_time: int | None, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM a process we do not parent (a detached one), SIGKILL it after ``timeout``, wait till gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if not process_alive(pid, start_time):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and process_alive(pid, start_time):
            time.sleep(0.05)


def stop_children(
    processes: Sequence[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """SIGTERM all at once, SIGKILL whatever outlives ``timeout``, and reap every one."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()


# Every running, owned control plane of this process: stopped at exit and on SIGTERM/SIGINT.
_RUNNING: list[Stoppable] = []
_RUNNING_LOCK = threading.Lock()
_PREVIOUS_HANDLERS: dict[int, Any] = {}
_ATEXIT_HOOK = {"registered": False}


def _stop_all_running() -> None:
    with _RUNNING_LOCK:
        owned = list(_RUNNING)
    for item in owned:
        item.stop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Stop everything owned, then hand the signal to whoever had it before (re-raise it)."""
    _stop_all_running()
    previous = _PREVIOUS_HANDLERS.pop(signum, signal.SIG_DFL)
    signal.signal(signum, previous)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        os.kill(os.getpid(), signum)


def stop_on_exit(item: Stoppable) -> None:
    """Stop ``item`` when this process exits or gets SIGTERM/SIGINT (until ``forget_on_exit``)."""
    with _RUNNING_LOCK:
        _RUNNING.append(item)
        if not _ATEXIT_HOOK["registered"]:
            atexit.register(_stop_all_running)
            _ATEXIT_HOOK["registered"] = True
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                current = signal.getsignal(signum)
                if current is not _on_signal:
                    _PREVIOUS_HANDLERS[signum] = current
                    signal.signal(signum, _on_signal)


def forget_on_exit(item: Stoppable) -> None:
    """``item`` is stopped already; restore the previous signal handlers when nothing else is owned."""
    with _RUNNING_LOCK:
        if item in _RUNNING:
            _RUNNING.remove(item)
        if _RUNNING or threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in list(_PREVIOUS_HANDLERS.items()):
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, previous)
            del _PREVIOUS_HANDLERS[signum]
