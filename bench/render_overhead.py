"""Overhead of our components under Pulumi's mock runtime, against raw pulumi-kubernetes resources.

For N VMs, the same compiled manifests are registered twice in the same process: once through
``VirtualMachine`` components (validation, compile, component resources, options, outputs), once as raw
``CustomResource``/``Secret`` resources with no component and no options. The ratio is what our layer costs
on top of what any Pulumi program registering these objects pays anyway.

    .venv/bin/python bench/render_overhead.py            # N = 50 and 200, 3 runs each, median
    .venv/bin/python bench/render_overhead.py 50 200 500 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

import pulumi_kubernetes as k8s

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.components import VirtualMachine, child_name
from pulumi_kubevirt.program.desired import desired_state_of_program
from pulumi_kubevirt.spec import (
    CloudInit,
    Cpu,
    Memory,
    RegistrySource,
    RootDisk,
    ServiceExposure,
    ServicePort,
    StackContext,
    VirtualMachineArgs,
)

PROJECT, STACK = "bench", "bench"


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


def with_components(count: int) -> Callable[[], None]:
    def program() -> None:
        for index in range(count):
            VirtualMachine(f"vm-{index:04d}", vm_args(index))

    return program


def raw_resources(count: int) -> Callable[[], None]:
    ctx = StackContext(PROJECT, STACK)
    manifests = [manifest for index in range(count) for manifest in compile_vm(vm_args(index), ctx)]

    def program() -> None:
        for manifest in manifests:
            name, metadata = child_name(manifest), manifest["metadata"]
            if manifest["kind"] == "Secret":
                k8s.core.v1.Secret(name, metadata=metadata, string_data=manifest["stringData"], type="Opaque")
            elif manifest["kind"] == "Service":
                k8s.core.v1.Service(name, metadata=metadata, spec=manifest["spec"])
            else:
                k8s.apiextensions.CustomResource(
                    name,
                    api_version=manifest["apiVersion"],
                    kind=manifest["kind"],
                    metadata=metadata,
                    spec=manifest["spec"],
                )

    return program


def timed(program: Callable[[], None]) -> tuple[float, int]:
    start = time.perf_counter()
    result = desired_state_of_program(program, project=PROJECT, stack=STACK)
    return time.perf_counter() - start, len(result.resources)


def measure(count: int, runs: int) -> None:
    ours = [timed(with_components(count)) for _ in range(runs)]
    raw = [timed(raw_resources(count)) for _ in range(runs)]
    ours_s = statistics.median(seconds for seconds, _ in ours)
    raw_s = statistics.median(seconds for seconds, _ in raw)
    ours_n, raw_n = ours[0][1], raw[0][1]
    print(
        f"N={count:>4} VMs  components: {ours_s:6.2f} s for {ours_n:>5} resources "
        f"({1000 * ours_s / ours_n:5.2f} ms/resource, {1000 * ours_s / count:6.1f} ms/VM)   "
        f"raw: {raw_s:6.2f} s for {raw_n:>5} resources ({1000 * raw_s / raw_n:5.2f} ms/resource)   "
        f"ratio {ours_s / raw_s:4.2f}x"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("counts", nargs="*", type=int, default=[50, 200], help="numbers of VMs")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median is shown)")
    args = parser.parse_args(argv)
    timed(with_components(5))
    for count in args.counts:
        measure(count, args.runs)


if __name__ == "__main__":
    main()
