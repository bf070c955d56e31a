"""End-to-end ``kvplan plan`` at estate scale: program to printed plan, against the LIST-and-decode floor.

For each size N (VMs, each with a registry-image root disk, cloud-init, an SSH key and a Service, spread over
a number of namespaces; ``bench/fleet_project.py``), with the repository's fleet program:

1. **Desired state** (no cluster): ``desired_state_of_stack`` on the project, the path ``kvplan`` takes
   (the fleet config compiled without the Pulumi runtime); CPU seconds, median of ``--repeats``, and per VM.
   The cost per VM at N over the cost per VM at the smallest N says whether the cost stays flat.
2. **Set-up (not measured)**: the desired objects server-side applied under the ``pulumi-kubernetes`` manager
   to a local control plane, settled by the simulator (or, if it fails, VMIs and PVCs written as KubeVirt and
   CDI would).
3. **End to end**: ``kvplan plan PROJECT --stack bench<N>`` as a user runs it, in a fresh process (interpreter
   start, imports, program, read, plan, text output to a pipe); wall seconds and the process's peak resident
   memory (``wait4``); the plan must say "No changes".
4. **Floor**: the LIST requests the reader sends (taken from its request log), 8 at a time on one client,
   ``json.loads`` each body; nothing else. Interleaved with (3), run by run.

Usage: .venv/bin/python bench/plan_scale.py --sizes 500,1000,5000 --namespaces 4,4,20 [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import apply, parallel
from fleet_project import PROJECT, namespaces, write_project
from plan_noop import list_and_decode, settle
from pulumi_kubevirt.live import collector_paused, read_live_with_stats
from pulumi_kubevirt.live.reader import MAX_PARALLEL_REQUESTS
from pulumi_kubevirt.program.desired import desired_state_of_stack
from pulumi_kubevirt_devcluster.controlplane import ControlPlane

STACK = "bench"
"""Each size is its own stack (``bench500``...): the stack labels on its Namespaces keep another size's
namespaces out of its plan, where they would count as deletions."""
KVPLAN = Path(sys.executable).with_name("kvplan")
EXIT_CODES = ("--detailed-exitcode",)
"""So that exit 0 means the plan has no changes."""


@dataclass(frozen=True, slots=True)
class Result:
    vms: int
    namespaces: int
    objects: int
    settled_by: str
    desired_cpu_s: float
    desired_us_per_vm: float
    floor_s: float
    end_to_end_s: float
    end_to_end_min_s: float
    peak_mb: float
    plan_output: str

    @property
    def over_floor(self) -> float:
        return self.end_to_end_s / self.floor_s


def desired_state_cost(project: Path, stack: str, repeats: int) -> tuple[float, int]:
    """Median CPU seconds of ``desired_state_of_stack`` (kvplan's path) and the number of objects."""
    times: list[float] = []
    count = 0
    for _ in range(repeats):
        started = time.process_time()
        with collector_paused():  # as kvplan plan computes it
            count = len(desired_state_of_stack(project, stack).manifests)
        times.append(time.process_time() - started)
    return statistics.median(times), count


LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{time.perf_counter() - started} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Starts kvplan and reports its wall time and peak RSS. Why a launcher: Linux carries the peak RSS of the
process that forks into the child's ``ru_maxrss``, so kvplan started from this (large) process would report
this process's footprint (the 660 MB of the 30 November rows); started from a small launcher, its own."""


def run_kvplan(project: Path, stack: str, kubeconfig: Path, work: Path) -> tuple[float, float, str]:
    """One ``kvplan plan`` in a fresh process: wall seconds, its peak RSS in MB, its first output line.

    Output goes to files; the launcher reaps kvplan with ``wait4``, so kvplan's own resource usage is read.
    """
    out_path, err_path, usage_path = work / "plan.out", work / "plan.err", work / "plan.usage"
    command = [str(KVPLAN), "plan", str(project), "--stack", stack, "--kubeconfig", str(kubeconfig)]
    with out_path.open("w") as out, err_path.open("w") as err:
        code = subprocess.call(
            [sys.executable, "-c", LAUNCHER, str(usage_path), *command, *EXIT_CODES], stdout=out, stderr=err
        )
    if code != 0:  # with --detailed-exitcode, 0 is "no changes"
        shown = out_path.read_text()[:3000] + err_path.read_text()[-500:]
        raise RuntimeError(f"kvplan plan exited {code}, not 0 (no changes):\n{shown}")
    wall, max_rss_kb = usage_path.read_text().split()
    lines = [line.strip() for line in out_path.read_text().splitlines() if line.strip()]
    return float(wall), int(max_rss_kb) / 1024, (lines[0] if lines else "")


def measure(
    plane: ControlPlane, api: Any, vms: int, namespace_count: int, *, repeats: int, work: Path
) -> Result:
    prefix = f"estate{vms}"  # the sizes share one control plane: each its own namespaces
    stack = f"{STACK}{vms}"
    project = write_project(work / prefix, stack, vms, namespace_count, prefix)
    print(f"N={vms}: desired state ({namespace_count} namespaces)")
    desired_s, objects = desired_state_cost(project, stack, repeats)
    print(f"  {objects} objects, {desired_s:.2f} s CPU ({desired_s / vms * 1e6:.0f} us/VM)")
    started = time.perf_counter()
    desired = list(desired_state_of_stack(project, stack).manifests)
    for manifest in (m for m in desired if m["kind"] == "Namespace"):
        apply(api, manifest)
    parallel(lambda m: apply(api, m), [m for m in desired if m["kind"] != "Namespace"])
    settled_by = settle(api, desired, namespaces(namespace_count, prefix))
    print(f"  set up in {time.perf_counter() - started:.0f} s (settled by {settled_by})")
    paths = read_live_with_stats(api, desired, project=PROJECT, stack=stack).stats.paths()
    floors: list[float] = []
    ends: list[float] = []
    peaks: list[float] = []
    first_line = ""
    for run in range(repeats):
        order = ("floor", "ours") if run % 2 == 0 else ("ours", "floor")
        for which in order:
            if which == "floor":
                started = time.perf_counter()
                list_and_decode(api, paths, MAX_PARALLEL_REQUESTS)
                floors.append(time.perf_counter() - started)
            else:
                wall, peak, first_line = run_kvplan(project, stack, plane.kubeconfig_path, work)
                ends.append(wall)
                peaks.append(peak)
    shown = " ".join(f"{f:.2f}" for f in floors), " ".join(f"{e:.2f}" for e in ends)
    print(f"  floor s: {shown[0]}; kvplan plan s: {shown[1]}")
    return Result(
        vms=vms,
        namespaces=namespace_count,
        objects=objects,
        settled_by=settled_by,
        desired_cpu_s=desired_s,
        desired_us_per_vm=desired_s / vms * 1e6,
        floor_s=statistics.median(floors),
        end_to_end_s=statistics.median(ends),
        end_to_end_min_s=min(ends),
        peak_mb=max(peaks),
        plan_output=first_line,
    )


def report(results: Sequence[Result], repeats: int) -> None:
    base = results[0]
    print()
    print(
        f"plan_scale: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, median of {repeats}; load average {os.getloadavg()}"
    )
    print(
        f"{'VMs':>5} {'ns':>3} {'objects':>7} {'desired s':>9} {'us/VM':>6} {'per-VM ratio':>12} "
        f"{'floor s':>7} {'kvplan s':>8} {'fastest':>7} {'kvplan/floor':>12} {'peak MB':>7}  plan"
    )
    for r in results:
        print(
            f"{r.vms:>5} {r.namespaces:>3} {r.objects:>7} {r.desired_cpu_s:>9.2f} "
            f"{r.desired_us_per_vm:>6.0f} "
            f"{r.desired_us_per_vm / base.desired_us_per_vm:>12.2f} {r.floor_s:>7.2f} {r.end_to_end_s:>8.2f} "
            f"{r.end_to_end_min_s:>7.2f} "
            f"{r.over_floor:>12.2f} {r.peak_mb:>7.0f}  {r.plan_output}"
        )
    print(
        "targets: kvplan/floor <= 3 at 1,000 and 5,000 VMs; per-VM ratio at 5,000 <= 1.3 (against the "
        "smallest N); peak < 500 MB at 5,000 VMs"
    )
    print("json: " + json.dumps([{**asdict(r), "over_floor": r.over_floor} for r in results]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="500,1000,5000", help="comma-separated VM counts")
    parser.add_argument("--namespaces", default="4,4,20", help="namespaces per size (comma-separated)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the median is shown")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    spreads = [int(s) for s in args.namespaces.split(",") if s]
    if len(spreads) != len(sizes):
        parser.error("--namespaces needs one count per size")
    plane = ControlPlane()
    plane.start()
    try:
        api = plane.api_client()
        with tempfile.TemporaryDirectory(prefix="plan-scale-") as work:
            results = [
                measure(plane, api, vms, spread, repeats=args.repeats, work=Path(work))
                for vms, spread in zip(sizes, spreads, strict=True)
            ]
        api.close()  # type: ignore[no-untyped-call]
    finally:
        plane.stop()
    report(results, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
