"""Checks for the typed extensions real VMs need: device names of their own, LUNs, container disks,
sysprep, hugepages, an isolated emulator thread, an existing cloud-init Secret and the ``patch``.

Kept apart from :mod:`spec.validate`: ``validate_vm`` calls :func:`extension_problems`, and
``_device_problems`` takes :func:`extra_devices` into its one device namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.quantity import QuantityError, parse_quantity
from pulumi_kubevirt.spec.model import HugepageSize, VirtualMachineArgs

KUBEVIRT_ADMITTER = (
    "kubevirt v1.9.0 pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go"
)


def extra_devices(args: VirtualMachineArgs, path: str) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """(device name, where) and (boot order, where) of container disks and sysprep, for the shared checks."""
    devices: list[tuple[str, str]] = []
    boot_orders: list[tuple[int, str]] = []
    for index, container in enumerate(args.container_disks):
        item = paths.join(path, "container_disks", index)
        devices.append((container.name, paths.join(item, "name")))
        if container.boot_order is not None:
            boot_orders.append((container.boot_order, paths.join(item, "boot_order")))
    if args.sysprep is not None:
        devices.append((args.sysprep.device, paths.join(path, "sysprep", "device")))
    return devices, boot_orders


def _bytes(value: object) -> Decimal | None:
    try:
        return parse_quantity(value)  # type: ignore[arg-type]
    except (QuantityError, TypeError, ValueError):
        return None


def extension_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    problems: list[Problem] = []
    for index, container in enumerate(args.container_disks):
        if not isinstance(container.image, str) or not container.image.strip():
            problems.append(
                Problem(
                    paths.join(path, "container_disks", index, "image"),
                    "the container disk has no image",
                    "name an image such as quay.io/containerdisks/fedora:40",
                )
            )
    cpu = args.cpu
    if cpu is not None and cpu.isolate_emulator_thread and not cpu.dedicated:
        # vmi-create-admitter.go: "IsolateEmulatorThread should be only set in combination with
        # DedicatedCPUPlacement".
        problems.append(
            Problem(
                paths.join(path, "cpu", "isolate_emulator_thread"),
                "an isolated emulator thread needs dedicated CPUs (KubeVirt rejects it otherwise)",
                "set cpu.dedicated: true, or drop isolate_emulator_thread",
            )
        )
    memory = args.memory
    if memory is not None and memory.hugepages is not None:
        page, guest = _bytes(memory.hugepages), _bytes(memory.guest)
        where = paths.join(path, "memory", "hugepages")
        sizes = " or ".join(HugepageSize)
        if page is None or page <= 0 or memory.hugepages not in set(HugepageSize):
            problems.append(Problem(where, f"{memory.hugepages!r} is not a huge page size", f"use {sizes}"))
        elif guest is not None and (guest < page or guest % page != 0):
            # validateHugepagesMemoryRequests: memory must be at least, and a multiple of, the page size.
            problems.append(
                Problem(
                    where,
                    f"guest memory {memory.guest} is not a whole number of {memory.hugepages} pages",
                    f"make memory a multiple of {memory.hugepages}",
                )
            )
    if not isinstance(args.patch, Mapping):
        problems.append(
            Problem(paths.join(path, "patch"), "the patch is not a mapping", "write it as a mapping")
        )
    return problems


__all__ = ["KUBEVIRT_ADMITTER", "extension_problems", "extra_devices"]
