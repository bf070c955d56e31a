"""What our components cost under Pulumi's runtime, against raw pulumi-kubernetes and the SDK's own floor.

For N VMs, four programs register the same estate under Pulumi's mock runtime (the mock monitor standing
in for the engine, as in ``kvplan``'s program path and in our tests):

- **components**: one ``VirtualMachine`` per VM (validation, compile, the component, its children with their
  options, its own ``GuestReadiness``, outputs);
- **fleet**: one ``Fleet`` of the N VMs, the way large estates are declared (``docs/scale.md``): a
  ``VirtualMachine`` component per VM and one ``GuestReadiness`` for them all;
- **raw**: the manifests the components compile to and the claim patch that grows each root disk
  (``compile.claims``), registered directly as pulumi-kubernetes resources (``Secret``, ``Service``,
  ``PersistentVolumeClaimPatch``, ``CustomResource``), no component, no options: what any Pulumi program
  registering these objects pays anyway;
- **raw+component**: raw, with the resources of each VM under one bare ``ComponentResource`` of our type
  token (registered, ``register_outputs({})``): what any design with one component per VM pays, ours or not;
- **plain**: as many bare ``pulumi.CustomResource`` registrations as raw makes, each with one small string
  property: the Pulumi SDK's own cost per registration, with no provider SDK and no payload. How *it* grows
  with N is the SDK's growth, not ours.

Each measurement runs in a fresh interpreter (no heap left over from an earlier one) after a 2-VM run of
the same program (imports and first-use caches, the same for any N, are not counted), the contenders
interleaved run by run so load elsewhere on the machine hits them alike; the figure is CPU seconds of the
program run (``time.process_time``, all threads), median of ``--runs``. Printed: CPU per VM, the growth of
the cost per VM against the smallest N, components / raw and components / raw+component.

``--calls`` adds one more run of each contender under ``cProfile`` and prints the Python function calls per
VM: a count that load elsewhere on the machine does not change, to read beside the CPU figures on a shared
machine (it counts work, not its price: a call into C costs less than a Python frame).

    .venv/bin/python bench/render_overhead.py                      # N = 100 and 1000, 3 runs
    .venv/bin/python bench/render_overhead.py 100 1000 5000 --runs 1
    .venv/bin/python bench/render_overhead.py 300 --runs 3 --calls
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.compile.claims import claim_growth_patch
from pulumi_kubevirt.components import Fleet, VirtualMachine, child_name
from pulumi_kubevirt.components.compiled_component import ComponentType
from pulumi_kubevirt.program.desired import desired_state_of_program
from pulumi_kubevirt.spec import (
    CloudInit,
    Cpu,
    FleetArgs,
    Memory,
    RegistrySource,
    RootDisk,
    ServiceExposure,
    ServicePort,
    StackContext,
    VirtualMachineArgs,
)

PROJECT, STACK = "bench", "bench"
CONTENDERS = ("components", "fleet", "raw+component", "raw", "plain")


def vm_args(index: int) -> VirtualMachineArgs:
    return VirtualMachineArgs(
        namespace="bench",
        name=f"vm-{index:04d}",
        cpu=Cpu.vcpus(2, max_sockets=8),
        memory=Memory("4Gi", max_guest="16Gi"),
        root_disk=RootDisk(image=RegistrySource("docker://quay.io/containerdisks/fedora:40"), size="20Gi"),
        cloud_init=CloudInit(user_data="#cloud-config\npackages: [nginx]\n"),
        service=ServiceExposure(ports=(ServicePort("http", 80),)),
    )


def components_program(count: int) -> Callable[[], None]:
    def program() -> None:
        for index in range(count):
            VirtualMachine(f"vm-{index:04d}", vm_args(index))

    return program


def fleet_program(count: int) -> Callable[[], None]:
    def program() -> None:
        Fleet("fleet", FleetArgs(vms=tuple(vm_args(index) for index in range(count))))

    return program


PATCH = "PersistentVolumeClaimPatch"


def compiled_per_vm(count: int) -> list[list[dict[str, Any]]]:
    """Each VM's manifests, each DataVolume followed by the patch that grows its claim, as the components
    register them."""
    context = StackContext(PROJECT, STACK)
    per_vm: list[list[dict[str, Any]]] = []
    for index in range(count):
        manifests: list[dict[str, Any]] = []
        for manifest in compile_vm(vm_args(index), context):
            manifests.append(manifest)
            patch = claim_growth_patch(manifest) if manifest["kind"] == "DataVolume" else None
            if patch is not None:
                manifests.append({**patch, "kind": PATCH})
        per_vm.append(manifests)
    return per_vm


def compiled_manifests(count: int) -> list[dict[str, Any]]:
    return [manifest for manifests in compiled_per_vm(count) for manifest in manifests]


def register_raw(manifest: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
    name, metadata = child_name(manifest), manifest["metadata"]
    if manifest["kind"] == "Secret":
        string_data = manifest["stringData"]
        k8s.core.v1.Secret(name, metadata=metadata, string_data=string_data, type="Opaque", opts=opts)
    elif manifest["kind"] == "Service":
        k8s.core.v1.Service(name, metadata=metadata, spec=manifest["spec"], opts=opts)
    elif manifest["kind"] == PATCH:
        k8s.core.v1.PersistentVolumeClaimPatch(name, metadata=metadata, spec=manifest["spec"], opts=opts)
    else:
        k8s.apiextensions.CustomResource(
            name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=metadata,
            spec=manifest["spec"],
            opts=opts,
        )


def raw_program(count: int) -> Callable[[], None]:
    manifests = compiled_manifests(count)

    def program() -> None:
        for manifest in manifests:
            register_raw(manifest)

    return program


def raw_with_component_program(count: int) -> Callable[[], None]:
    per_vm = compiled_per_vm(count)

    def program() -> None:
        for index, manifests in enumerate(per_vm):
            component = pulumi.ComponentResource(ComponentType.VIRTUAL_MACHINE, f"vm-{index:04d}", None, None)
            for manifest in manifests:
                register_raw(manifest, pulumi.ResourceOptions(parent=component))
            component.register_outputs({})

    return program


def plain_program(count: int) -> Callable[[], None]:
    registrations = len(compiled_manifests(count))

    def program() -> None:
        for index in range(registrations):
            pulumi.CustomResource("bench:index:Thing", f"thing-{index:05d}", {"value": str(index)})

    return program


PROGRAMS = {
    "components": components_program,
    "fleet": fleet_program,
    "raw+component": raw_with_component_program,
    "raw": raw_program,
    "plain": plain_program,
}


def child(contender: str, count: int, *, calls: bool) -> None:
    """Run one contender in this (fresh) process; print its CPU and wall seconds, resources (and, under
    ``calls``, its Python function calls, timed under the profiler and so not comparable) as JSON."""
    desired_state_of_program(PROGRAMS[contender](2), project=PROJECT, stack=STACK)  # imports, caches
    program = PROGRAMS[contender](count)
    profiler = cProfile.Profile() if calls else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = desired_state_of_program(program, project=PROJECT, stack=STACK)
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    found: dict[str, float] = {"cpu_s": cpu, "wall_s": wall, "resources": len(result.resources)}
    if profiler is not None:
        found["calls"] = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    print(json.dumps(found))


def run_child(contender: str, count: int, *, calls: bool = False) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", contender, str(count), *(["--calls"] if calls else [])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Figure:
    contender: str
    vms: int
    resources: int
    cpu_s: float
    wall_s: float
    calls: int | None

    @property
    def cpu_ms_per_vm(self) -> float:
        return 1000 * self.cpu_s / self.vms

    @property
    def calls_per_vm(self) -> str:
        return f"{self.calls // self.vms:,}" if self.calls is not None else "-"


def measure(count: int, runs: int, *, calls: bool) -> dict[str, Figure]:
    samples: dict[str, list[dict[str, float]]] = {contender: [] for contender in CONTENDERS}
    for run in range(runs):
        order = CONTENDERS if run % 2 == 0 else tuple(reversed(CONTENDERS))
        for contender in order:
            samples[contender].append(run_child(contender, count))
    counted = {c: run_child(c, count, calls=True)["calls"] for c in CONTENDERS if calls}
    figures = {
        contender: Figure(
            contender,
            count,
            int(found[0]["resources"]),
            statistics.median(sample["cpu_s"] for sample in found),
            statistics.median(sample["wall_s"] for sample in found),
            int(counted[contender]) if contender in counted else None,
        )
        for contender, found in samples.items()
    }
    for figure in figures.values():
        print(
            f"  N={count:>5} {figure.contender:<13} {figure.resources:>6} resources  "
            f"CPU {figure.cpu_s:7.2f} s ({figure.cpu_ms_per_vm:6.1f} ms/VM)  wall {figure.wall_s:7.2f} s  "
            f"calls/VM {figure.calls_per_vm}",
            flush=True,
        )
    return figures


def report(results: Sequence[dict[str, Figure]], runs: int) -> None:
    base = results[0]
    print()
    print(
        f"render_overhead: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, median of {runs}; load average {os.getloadavg()}"
    )
    columns = "".join(f" {contender + ' ms/VM':>19}" for contender in CONTENDERS)
    growths = "".join(f" {'growth ' + contender:>20}" for contender in CONTENDERS)
    print(f"{'VMs':>5} {'resources':>9}{columns} {'comp/raw':>8} {'comp/raw+component':>18}{growths}")
    for figures in results:
        comp, raw = figures["components"], figures["raw"]
        per_vm = "".join(f" {figures[contender].cpu_ms_per_vm:>19.1f}" for contender in CONTENDERS)
        growth = "".join(
            f" {figures[contender].cpu_ms_per_vm / base[contender].cpu_ms_per_vm:>20.2f}"
            for contender in CONTENDERS
        )
        print(
            f"{comp.vms:>5} {comp.resources:>9}{per_vm} {comp.cpu_s / raw.cpu_s:>8.2f} "
            f"{comp.cpu_s / figures['raw+component'].cpu_s:>18.2f}{growth}"
        )
    if any(figure.calls is not None for figures in results for figure in figures.values()):
        print("Python function calls per VM (cProfile, one run each):")
        for figures in results:
            counted = "  ".join(f"{name} {figure.calls_per_vm}" for name, figure in figures.items())
            print(f"{figures['components'].vms:>5}  {counted}")
    print("growth: CPU per VM at N over CPU per VM at the smallest N (1.00 = flat)")
    print("target: components/raw <= 1.1 at 1,000 VMs")
    rows = [{key: asdict(value) for key, value in figures.items()} for figures in results]
    print("json: " + json.dumps(rows))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("counts", nargs="*", type=int, default=[100, 1000], help="numbers of VMs")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median is shown)")
    parser.add_argument(
        "--calls", action="store_true", help="also count Python function calls per VM (one profiled run each)"
    )
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), calls=args.calls)
        return 0
    results = [measure(count, args.runs, calls=args.calls) for count in args.counts]
    report(results, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
