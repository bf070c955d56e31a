"""Waiting for N VMs that each take T to get an IP: one GuestReadiness operation against a resource per VM.

    .venv/bin/python bench/readiness_concurrency.py --vms 100 --seconds 0.5

It starts the local control plane (stopped by pid at the end) and the simulator in a background thread,
applies N VMs (server-side apply, one namespace) and lets them run. Then, in the same run, three ways to wait
for an IP on every VM, where each VM gets its IP T seconds after its wait began (the simulator's ``no-ip``
fault is lifted T seconds after the wait for that VM starts):

- **ours**: one operation waits for all N (``live.guests.wait_for_guests``, what the GuestReadiness
  resource's create/update runs): one LIST of VMs and one of VMIs per look;
- **4 at a time**: a resource per VM under the Python dynamic host, which runs at most 4 operations at once
  for the whole deployment: 4 workers, each waiting for one VM after another;
- **one at a time**: a resource per VM, one after another (the baseline).

The two per-VM ways are measured on the first ``--sample`` VMs (default: all) and scaled to N by their
measured seconds per VM (per round of 4 for the 4-wide way), which the output says; on a loaded machine
a full one-at-a-time pass over 100 VMs takes many minutes. It prints each figure as soon as it has it, the
ratio of each to ours, and ours against T; then one ``json:`` line.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.live.guests import GuestDoor, wait_for_guests
from pulumi_kubevirt.live.kinds import object_path
from pulumi_kubevirt.plan.readiness import WaitTarget
from pulumi_kubevirt.spec import Cpu, Memory, StackContext, VirtualMachineArgs, WaitFor
from pulumi_kubevirt_devcluster.controlplane import ControlPlane
from pulumi_kubevirt_devcluster.simulator import Simulator

NAMESPACE = "bench-readiness"
POLL_S = 0.2
HOST_OPERATIONS = 4


def apply_vms(api: Any, count: int) -> list[str]:
    from kubernetes import client

    client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
    names = [f"vm-{index:03d}" for index in range(count)]
    context = StackContext("bench", "readiness")
    for name in names:
        args = VirtualMachineArgs(
            namespace=NAMESPACE,
            name=name,
            cpu=Cpu(sockets=1),
            memory=Memory(guest="1Gi"),
            wait_for=WaitFor.IP,
        )
        (vm,) = [m for m in compile_vm(args, context) if m["kind"] == "VirtualMachine"]
        method, url, headers, _, _ = api.param_serialize(
            method="PATCH",
            resource_path=object_path(vm),
            query_params=[("fieldManager", "pulumi-kubernetes"), ("force", "true")],
            header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        answer = api.rest_client.pool_manager.request(method, url, headers=headers, body=json.dumps(vm))
        assert answer.status in (200, 201), answer.data[:200]
    return names


def hide_ips(sim: Simulator, door: GuestDoor, names: Sequence[str]) -> None:
    """Every VM loses its IP (no-ip fault) and the wait below starts from none."""
    for name in names:
        sim.fail("VirtualMachine", NAMESPACE, name, "no-ip")
    while True:
        view = door.look([NAMESPACE])
        if all(
            not entry.get("ipAddress")
            for vmi in view.vmis.values()
            for entry in (vmi.get("status") or {}).get("interfaces") or []
        ):
            return
        time.sleep(POLL_S)


def release_later(sim: Simulator, names: Sequence[str], after_s: float) -> threading.Thread:
    def release() -> None:
        time.sleep(after_s)
        for name in names:
            sim.fail("VirtualMachine", NAMESPACE, name, None)

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


def wait(api: Any, sim: Simulator, names: Sequence[str], took_s: float) -> None:
    """One operation: wait for ``names``, whose IPs appear ``took_s`` after it starts."""
    releaser = release_later(sim, names, took_s)
    targets = [WaitTarget(NAMESPACE, name, WaitFor.IP) for name in names]
    wait_for_guests(GuestDoor(api), targets, timeout_s=120 + took_s * 4, poll_s=POLL_S)
    releaser.join()


def timed(work: Callable[[], None]) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=0.5, help="T: how long each VM takes to get an IP")
    parser.add_argument("--sample", type=int, default=0, help="measure the per-VM ways on this many VMs")
    options = parser.parse_args()
    count, took = options.vms, options.seconds
    sample = options.sample or count
    plane = ControlPlane().start()
    stop = threading.Event()
    runner: threading.Thread | None = None
    try:
        api = plane.api_client()
        sim = Simulator(api)
        names = apply_vms(api, count)
        print(f"applied {count} VMs", flush=True)
        sim.settle(NAMESPACE)
        runner = threading.Thread(target=sim.run, args=(stop, 0.05, NAMESPACE), daemon=True)
        runner.start()
        door = GuestDoor(api)

        hide_ips(sim, door, names)
        ours = timed(lambda: wait(api, sim, names, took))
        print(f"ours: {count} VMs in {ours:.2f} s", flush=True)
        subset = names[:sample]

        def per_vm(width: int) -> float:
            hide_ips(sim, door, names)
            lanes = [subset[lane::width] for lane in range(width)]

            def lane_work(lane: Sequence[str]) -> None:
                for name in lane:
                    wait(api, sim, [name], took)

            def run_lanes() -> None:
                with ThreadPoolExecutor(width) as pool:
                    list(pool.map(lane_work, lanes))

            return timed(run_lanes)

        four_measured = per_vm(HOST_OPERATIONS)
        rounds = -(-sample // HOST_OPERATIONS)
        four = four_measured / rounds * -(-count // HOST_OPERATIONS)
        print(f"4 at a time: {sample} VMs in {four_measured:.2f} s -> {count} VMs: {four:.2f} s", flush=True)
        serial_measured = per_vm(1)
        serial = serial_measured / sample * count
        print(
            f"one at a time: {sample} VMs in {serial_measured:.2f} s -> {count} VMs: {serial:.2f} s",
            flush=True,
        )
        figures = {
            "vms": count,
            "per_vm_ways_measured_on": sample,
            "T_s": took,
            "ours_s": round(ours, 2),
            "four_at_a_time_s": round(four, 2),
            "one_at_a_time_s": round(serial, 2),
            "one_at_a_time_over_ours": round(serial / ours, 1),
            "four_at_a_time_over_ours": round(four / ours, 1),
            "ours_over_T": round(ours / took, 2),
        }
        print(f"{'way':<28}{'seconds':>10}{'/ ours':>10}")
        print(f"{'ours (one operation)':<28}{ours:>10.2f}{1.0:>10.1f}")
        print(f"{'a resource per VM, 4 wide':<28}{four:>10.2f}{four / ours:>10.1f}")
        print(f"{'a resource per VM, serial':<28}{serial:>10.2f}{serial / ours:>10.1f}")
        print(f"ours / T = {ours / took:.2f} (T = {took} s, poll {POLL_S} s, simulator pass every 0.05 s)")
        print("json: " + json.dumps(figures, sort_keys=True))
    finally:
        stop.set()
        if runner is not None:
            runner.join(timeout=30)  # the simulator's last pass ends before the API server does
        plane.stop()


if __name__ == "__main__":
    main()
