"""What migration policies and pools add to a plan, as ratios against a baseline measured in the same run.

    .venv/bin/python bench/mobility_plan.py [--vms 1000] [--policies 10] [--repeat 5]

- policies: a no-op plan of N VMs with and without P MigrationPolicies (the policy section matches every VM
  against every policy);
- pools: a pool of N members whose template changes (every member planned) against N standalone VMs with the
  same change. Process CPU time, best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engine_cpu import best_of
from tests.unit.plan import builders as b
from tests.unit.plan.test_mobility import CTX, _member, _vm

from pulumi_kubevirt.compile import compile_migration_policy, compile_pool, compile_vm
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.spec import Cpu, MigrationPolicyArgs, PoolArgs


def _plan(desired: list[dict[str, Any]], live: list[dict[str, Any]]) -> object:
    return make_plan(desired, b.state(live), project=b.PROJECT, stack=b.STACK)


def policies(vms: int, count: int, repeat: int) -> None:
    desired = [m for i in range(vms) for m in compile_vm(_vm(f"vm-{i:04d}", app=f"app-{i % 7}"), CTX)]
    live = [b.live(m) for m in desired]
    extra = [
        m
        for i in range(count)
        for m in compile_migration_policy(
            MigrationPolicyArgs(name=f"policy-{i:02d}", vm_selector={"app": f"app-{i % 7}"}), CTX
        )
    ]
    base = best_of(repeat, lambda: _plan(desired, live))
    with_policies = best_of(repeat, lambda: _plan(desired + extra, live + [b.live(m) for m in extra]))
    print(
        f"no-op plan of {vms} VMs: {base * 1e3:.1f} ms; with {count} migration policies: "
        f"{with_policies * 1e3:.1f} ms ({with_policies / base:.2f}x)"
    )


def pools(members: int, repeat: int) -> None:
    pool_args = PoolArgs(vm=_vm("web"), replicas=members)
    applied = compile_pool(pool_args, CTX)
    pool = next(m for m in applied if m["kind"] == "VirtualMachinePool")
    member_objects = [_member(pool, i) for i in range(members)]
    live_pool = [b.live(m) for m in applied] + member_objects + [b.vmi(m) for m in member_objects]
    cores = Cpu(sockets=2, cores=2)
    changed_pool = compile_pool(
        dataclasses.replace(pool_args, vm=dataclasses.replace(pool_args.vm, cpu=cores)), CTX
    )

    standalone = [m for i in range(members) for m in compile_vm(_vm(f"vm-{i:04d}"), CTX)]
    live_vms = [b.live(m) for m in standalone]
    live_vms += [b.vmi(m) for m in standalone if m["kind"] == "VirtualMachine"]
    changed_vms = []
    for manifest in standalone:
        edited = copy.deepcopy(manifest)
        if edited["kind"] == "VirtualMachine":
            edited["spec"]["template"]["spec"]["domain"]["cpu"]["cores"] = 2
        changed_vms.append(edited)

    base = best_of(repeat, lambda: _plan(changed_vms, live_vms))
    pooled = best_of(repeat, lambda: _plan(changed_pool, live_pool))
    print(
        f"cores change on {members} standalone VMs: {base * 1e3:.1f} ms; on a pool of {members} members: "
        f"{pooled * 1e3:.1f} ms ({pooled / base:.2f}x, {pooled / members * 1e6:.0f} µs per member)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    policies(args.vms, args.policies, args.repeat)
    pools(args.vms, args.repeat)


if __name__ == "__main__":
    main()
