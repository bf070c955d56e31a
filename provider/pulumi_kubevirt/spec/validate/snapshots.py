"""Checks of a VM's snapshot, retention and restore settings, each problem at the field the user wrote."""

from __future__ import annotations

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec.model import VirtualMachineArgs
from pulumi_kubevirt.spec.validate.common import name_problems


def snapshot_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """Snapshot names are object names, unique; retention keeps at least one; a restore names a snapshot."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(args.snapshots):
        where = paths.join(path, "snapshots", index)
        problems += name_problems(name, where, "snapshot name")
        if name in seen:
            problems.append(
                Problem(where, f"snapshot {name!r} is listed twice", "list each snapshot name once")
            )
        seen.add(name)
    keep = args.snapshot_keep
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        problems.append(
            Problem(
                paths.join(path, "snapshot_keep"),
                f"snapshot_keep is {keep!r}; it must be a whole number of at least 1",
                "set it to how many snapshots to keep (for example 3), or leave it out to keep them all",
            )
        )
    if args.restore is not None:
        where = paths.join(path, "restore")
        problems += name_problems(args.restore.snapshot, paths.join(where, "snapshot"), "snapshot name")
        if args.restore.name is not None:
            problems += name_problems(args.restore.name, paths.join(where, "name"), "restore name")
    return problems
