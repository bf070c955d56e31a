"""``kvdev up|down|status|binaries [--state-dir DIR]`` (or ``python -m pulumi_kubevirt_devcluster``): a local
control plane for demos.

``up`` leaves etcd and kube-apiserver running in the background (detached from this process) and records
their pids, with start times so a reused pid is never signalled, in ``DIR/state.json``; ``down`` stops them
and removes ``DIR``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pulumi_kubevirt.core.packaged import PackageDataMissingError
from pulumi_kubevirt_devcluster.controlplane import (
    ControlPlane,
    ControlPlaneError,
    find_or_build_binaries,
    process_alive,
    stop_pid,
)

DEFAULT_STATE_DIR = Path(".kvdev")
STATE_FILE = "state.json"


def _read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state


def _running(state: dict[str, Any]) -> dict[str, bool]:
    return {
        name: process_alive(int(entry["pid"]), entry.get("start_time"))
        for name, entry in sorted(state.get("processes", {}).items())
    }


def up(state_dir: Path) -> int:
    state = _read_state(state_dir)
    if state is not None and all(_running(state).values()):
        print(f"The local control plane already runs at {state['server']}.", file=sys.stderr)
        print(f"export KUBECONFIG={state['kubeconfig']}")
        return 0
    if state is not None:
        _stop(state)
    workdir = state_dir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    started = time.perf_counter()
    plane = ControlPlane(workdir=workdir)
    try:
        plane.start(detach=True)
    except (ControlPlaneError, PackageDataMissingError) as error:
        print(error, file=sys.stderr)
        return 1
    state = plane.detached_state()
    (workdir / STATE_FILE).write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    plane.forget_processes()
    print(
        f"The local control plane runs at {state['server']} "
        f"(started in {time.perf_counter() - started:.1f} s; "
        f"logs in {workdir / 'logs'}). Stop it with: kvdev down"
        + (f" --state-dir {state_dir}" if state_dir != DEFAULT_STATE_DIR else ""),
        file=sys.stderr,
    )
    print(f"export KUBECONFIG={state['kubeconfig']}")
    return 0


def _stop(state: dict[str, Any]) -> None:
    # The API server first, so it does not spend its shutdown retrying a vanished etcd.
    for name in ("kube-apiserver", "etcd"):
        entry = state.get("processes", {}).get(name)
        if entry:
            stop_pid(int(entry["pid"]), entry.get("start_time"))


def down(state_dir: Path) -> int:
    state = _read_state(state_dir)
    if state is None:
        print(
            f"No local control plane recorded in {state_dir / STATE_FILE}; nothing to stop.", file=sys.stderr
        )
        return 0
    _stop(state)
    shutil.rmtree(state_dir, ignore_errors=True)
    print(f"Stopped the local control plane and removed {state_dir}.", file=sys.stderr)
    return 0


def status(state_dir: Path) -> int:
    state = _read_state(state_dir)
    if state is None:
        print(f"Not running (no {state_dir / STATE_FILE}).")
        return 1
    running = _running(state)
    if running and all(running.values()):
        print(f"Running at {state['server']}; export KUBECONFIG={state['kubeconfig']}")
        return 0
    stopped = ", ".join(name for name, alive in running.items() if not alive)
    print(f"Not running: {stopped} stopped. Run `down` to clean up, then `up`.")
    return 1


def binaries(state_dir: Path) -> int:
    """Make sure the binaries exist before a test run, so the first fixture does not pay for the build."""
    del state_dir
    try:
        found = find_or_build_binaries()
    except ControlPlaneError as exc:
        print(exc, file=sys.stderr)
        return 1
    for tool, path in (("kube-apiserver", found.kube_apiserver), ("etcd", found.etcd)):
        print(f"{tool}: {path} ({found.origin[tool]})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kvdev",
        description="A local kube-apiserver with KubeVirt's, CDI's and Multus' APIs, to try pulumi-kubevirt.",
    )
    parser.add_argument(
        "command",
        choices=("up", "down", "status", "binaries"),
        help="binaries: find, install or build etcd and kube-apiserver (cached), print where they are",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where data, logs, the kubeconfig and the pids go (default: .kvdev in the current directory)",
    )
    args = parser.parse_args(argv)
    commands = {"up": up, "down": down, "status": status, "binaries": binaries}
    code: int = commands[args.command](args.state_dir)
    return code


if __name__ == "__main__":
    sys.exit(main())
