"""Checks of migration policies, clones and pools: what KubeVirt's webhooks for them refuse, and one rule of
ours (a pool's members cannot share a disk).

Rows ``kv-migration-policy-*``, ``kv-clone-*`` and ``kv-pool-*`` of the rule table.
"""

from __future__ import annotations

import re

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec.model import CloneArgs, CloneSourceKind, MigrationPolicyArgs, PoolArgs
from pulumi_kubevirt.spec.validate.common import (
    label_problems,
    name_problems,
    quantity_or_problems,
    subdomain_problems,
)
from pulumi_kubevirt.spec.validate.vm import MAC_ADDRESS_PATTERN, validate_vm

_PERCENT = re.compile(r"^(\d+)%$")


def validate_migration_policy(args: MigrationPolicyArgs, path: str) -> list[Problem]:
    """A policy's name, selectors and tunables as the MigrationPolicy webhook checks them."""
    problems = subdomain_problems(args.name, paths.join(path, "name"), "policy name")
    problems += label_problems(args.labels, paths.join(path, "labels"))
    problems += label_problems(args.vm_selector, paths.join(path, "vm_selector"), allow_reserved=True)
    problems += label_problems(
        args.namespace_selector, paths.join(path, "namespace_selector"), allow_reserved=True
    )
    if args.bandwidth_per_migration is not None:
        where = paths.join(path, "bandwidth_per_migration")
        amount, found = quantity_or_problems(args.bandwidth_per_migration, where)
        problems += found
        if amount is not None and amount < 0:
            problems.append(
                Problem(where, "a bandwidth must not be negative", "write bytes per second such as 64Mi")
            )
    timeout = args.completion_timeout_per_gib
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0):
        problems.append(
            Problem(
                paths.join(path, "completion_timeout_per_gib"),
                f"{timeout!r} is not a number of seconds (it must not be negative)",
                "write whole seconds per GiB of guest memory, such as 150",
            )
        )
    return problems


def validate_clone(args: CloneArgs, path: str) -> list[Problem]:
    """A clone's names and the MAC addresses it assigns, as the clone webhook checks them."""
    problems = name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    problems += subdomain_problems(args.name, paths.join(path, "name"), "clone name")
    problems += name_problems(args.source, paths.join(path, "source"), "source name")
    problems += name_problems(args.target, paths.join(path, "target"), "target VM name")
    problems += label_problems(args.labels, paths.join(path, "labels"))
    if args.source_kind is CloneSourceKind.VIRTUAL_MACHINE and args.source == args.target:
        problems.append(
            Problem(
                paths.join(path, "target"),
                f"the target {args.target!r} is the source VM itself",
                "name the new VM, for example " + f"{args.source}-clone",
            )
        )
    for interface, mac in sorted(args.new_mac_addresses.items()):
        if mac and not MAC_ADDRESS_PATTERN.match(mac):
            problems.append(
                Problem(
                    paths.join(path, "new_mac_addresses", interface),
                    f"{mac!r} is not a MAC address",
                    "write it like 02:00:00:00:00:01, or leave the interface out to get a new one",
                )
            )
    return problems


def _max_unavailable_problems(value: int | str, path: str) -> list[Problem]:
    fix = "write a count of VMs (such as 1) or a percentage from 1% to 100%"
    if isinstance(value, bool):
        return [Problem(path, f"{value!r} is not a count or a percentage", fix)]
    if isinstance(value, int):
        return [] if value > 0 else [Problem(path, "must be greater than 0", fix)]
    found = _PERCENT.match(value)
    if found is None:
        return [Problem(path, f"{value!r} is not a count or a percentage ending with %", fix)]
    if not 1 <= int(found.group(1)) <= 100:
        return [Problem(path, f"{value!r} must be between 1% and 100%", fix)]
    return []


def validate_pool(args: PoolArgs, path: str) -> list[Problem]:
    """The members' VM spec, the replica count and maxUnavailable; members cannot share disks."""
    problems = validate_vm(args.vm, paths.join(path, "vm"))
    problems += label_problems(args.labels, paths.join(path, "labels"))
    replicas = args.replicas
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        problems.append(
            Problem(paths.join(path, "replicas"), f"{replicas!r} is not a count of VMs", "write 0 or more")
        )
    if args.max_unavailable is not None:
        problems += _max_unavailable_problems(args.max_unavailable, paths.join(path, "max_unavailable"))
    if args.vm.root_disk is not None or args.vm.disks:
        problems.append(
            Problem(
                paths.join(path, "vm", "disks" if args.vm.disks else "root_disk"),
                "every member of a pool would attach this one disk: they would overwrite each other's data",
                "give the pool's VM container disks (container_disks) and keep data outside the members",
            )
        )
    return problems
