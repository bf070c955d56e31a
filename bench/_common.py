"""Helpers shared by the benchmarks: fleets of compiled VMs, server-side apply, medians."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.live.kinds import object_path
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

PULUMI_MANAGER = "pulumi-kubernetes"
SETUP_PARALLELISM = 8
T = TypeVar("T")


def fleet(project: str, stack: str, namespaces: Sequence[str], count: int) -> list[dict[str, Any]]:
    """``count`` VMs spread round-robin over ``namespaces``, each with a DataVolume root disk, a cloud-init
    Secret and a Service, compiled exactly as the product compiles them."""
    context = StackContext(project, stack)
    manifests: list[dict[str, Any]] = []
    for index in range(count):
        args = VirtualMachineArgs(
            namespace=namespaces[index % len(namespaces)],
            name=f"vm-{index:05d}",
            cpu=Cpu(sockets=1, cores=2),
            memory=Memory(guest="2Gi"),
            root_disk=RootDisk(
                image=RegistrySource(url="docker://quay.io/containerdisks/fedora:40"), size="20Gi"
            ),
            cloud_init=CloudInit(user_data=f"#cloud-config\nhostname: vm-{index:05d}\n"),
            service=ServiceExposure(ports=(ServicePort(name="ssh", port=22),)),
        )
        manifests.extend(compile_vm(args, context))
    return manifests


def request(api: Any, method: str, path: str, body: Any = None, query: Sequence[tuple[str, str]] = ()) -> Any:
    """One raw request through the client's connection pool; the decoded JSON answer, or raise."""
    content_type = "application/apply-patch+yaml" if method == "PATCH" else "application/json"
    method, url, headers, _, _ = api.param_serialize(
        method=method,
        resource_path=path,
        query_params=list(query) or None,
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    response = api.rest_client.pool_manager.request(
        method, url, headers=headers, body=json.dumps(body) if body is not None else None, retries=False
    )
    if response.status >= 300:
        raise RuntimeError(f"{method} {path} answered {response.status}: {response.data[:300]!r}")
    return json.loads(response.data)


def apply(api: Any, manifest: Mapping[str, Any], manager: str = PULUMI_MANAGER) -> None:
    """Server-side apply under ``manager``, as pulumi-kubernetes does it."""
    request(api, "PATCH", object_path(manifest), manifest, [("fieldManager", manager), ("force", "true")])


def parallel(function: Callable[[T], Any], items: Sequence[T], workers: int = SETUP_PARALLELISM) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(function, items))


def median_of(repeats: int, measure: Callable[[], T]) -> tuple[float, T]:
    """Median wall seconds over ``repeats`` runs, and the last run's result."""
    times: list[float] = []
    results: list[T] = []
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        results.append(measure())
        times.append(time.perf_counter() - started)
    return statistics.median(times), results[-1]
