"""Engine CPU per VM for a no-op plan of N synthetic VMs (VM + DataVolume + Secret + Service), for a plan
in which every VM changes (the policy's classification path), and the keyed diff against DeepDiff.

    .venv/bin/python bench/engine_cpu.py [--vms 1000] [--repeat 5]

Target (DESIGN.md section 8): under 100 µs of engine CPU per VM. Process CPU time, best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deepdiff import DeepDiff
from tests.unit.plan import builders as b

from pulumi_kubevirt.plan.diff import diff
from pulumi_kubevirt.plan.normalise import comparable_live, normalise
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.state import LiveState


def synthetic(count: int) -> tuple[list[dict[str, Any]], LiveState]:
    desired: list[dict[str, Any]] = []
    for i in range(count):
        name = f"vm-{i:04d}"
        desired += [
            b.secret(f"{name}-cloud-init"),
            b.data_volume(f"{name}-root", size=f"{10 + i % 5}Gi"),
            b.vm(name, sockets=1 + i % 4, memory=f"{2 + i % 3}Gi", cloud_init_secret=f"{name}-cloud-init"),
            b.service(name, selector=name),
        ]
    live = b.state(b.running(desired))
    return desired, live


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    desired, live = synthetic(args.vms)

    plan_seconds = best_of(args.repeat, lambda: make_plan(desired, live, project=b.PROJECT, stack=b.STACK))
    plan = make_plan(desired, live, project=b.PROJECT, stack=b.STACK)
    assert not plan.has_changes, "the synthetic no-op plan has changes"
    print(
        f"no-op plan, {args.vms} VMs ({len(desired)} objects): {plan_seconds * 1e3:.1f} ms CPU, "
        f"{plan_seconds / args.vms * 1e6:.1f} µs per VM"
    )

    # Every VM gets one more socket (a LiveUpdate hot-plug rule) and a new template label (a static row).
    edited = [
        b.vm(
            f"vm-{i:04d}",
            sockets=2 + i % 4,
            memory=f"{2 + i % 3}Gi",
            tier="b",
            cloud_init_secret=f"vm-{i:04d}-cloud-init",
        )
        for i in range(args.vms)
    ]
    changed_desired = [m if m["kind"] != "VirtualMachine" else edited.pop(0) for m in desired]
    changed_seconds = best_of(
        args.repeat, lambda: make_plan(changed_desired, live, project=b.PROJECT, stack=b.STACK)
    )
    changed_plan = make_plan(changed_desired, live, project=b.PROJECT, stack=b.STACK)
    assert sum(r.has_changes for r in changed_plan.resources) == args.vms, "every VM should change"
    print(
        f"plan with every VM changed (sockets + a template label): {changed_seconds * 1e3:.1f} ms CPU, "
        f"{changed_seconds / args.vms * 1e6:.1f} µs per VM"
    )

    # Same pairs, changed slightly so both differs have work to do: sockets and a label on every VM.
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for manifest in desired:
        want = normalise(manifest)
        got = comparable_live(live.objects[b.ObjectKey.of(manifest)], want)
        pairs.append((got, want))
    changed = [
        (
            got,
            {**want, "spec": {**want["spec"], "runStrategy": "Halted"}}
            if want["kind"] == "VirtualMachine"
            else want,
        )
        for got, want in pairs
    ]

    ours = best_of(args.repeat, lambda: [diff(got, want) for got, want in changed])
    theirs = best_of(1, lambda: [DeepDiff(got, want) for got, want in changed])
    print(
        f"keyed diff of {len(changed)} pruned pairs (VMs changed): ours {ours * 1e3:.1f} ms, "
        f"DeepDiff {theirs * 1e3:.1f} ms ({theirs / ours:.0f}x slower)"
    )


if __name__ == "__main__":
    main()
