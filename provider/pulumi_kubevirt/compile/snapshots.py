"""A VM's snapshots and restore as KubeVirt objects, and the annotations that tell the plan about them.

- Each name in ``snapshots`` is a VirtualMachineSnapshot of that name; with ``snapshot_keep`` only the last N
  are compiled, so ``pulumi up`` deletes the older ones as objects that left the code (the plan says so).
- ``restore`` is a VirtualMachineRestore that stops the VM itself (``StopTarget``) and restores its claims
  under their own names (``InPlace``), so the VM keeps the volumes the code declares
  (``facts.snapshots.RESTORE_IN_PLACE``).
- ``snapshot_before`` and ``snapshot_keep`` become annotations on the VirtualMachine, the one place the plan
  engine (which sees only manifests) and the apply step both read them.
"""

from __future__ import annotations

from pulumi_kubevirt.compile.compiler import KUBEVIRT_API, ComponentKind, Manifest, object_metadata
from pulumi_kubevirt.facts.kinds import VM
from pulumi_kubevirt.facts.snapshots import (
    RESTORE_TARGET_READINESS,
    RESTORE_VOLUME_POLICY,
    SNAPSHOT_API,
    VM_RESTORE,
    VM_SNAPSHOT,
)
from pulumi_kubevirt.spec import StackContext, VirtualMachineArgs

SNAPSHOT_BEFORE_ANNOTATION = "pulumi-kubevirt/snapshot-before"
SNAPSHOT_KEEP_ANNOTATION = "pulumi-kubevirt/snapshot-keep"


def snapshot_annotations(args: VirtualMachineArgs) -> dict[str, str]:
    """What the plan needs to know about the VM's snapshots, on the VM (no effect on the guest)."""
    annotations: dict[str, str] = {}
    if args.snapshot_before:
        annotations[SNAPSHOT_BEFORE_ANNOTATION] = "true"
    if args.snapshot_keep is not None:
        annotations[SNAPSHOT_KEEP_ANNOTATION] = str(args.snapshot_keep)
    return annotations


def kept_snapshots(args: VirtualMachineArgs) -> tuple[str, ...]:
    """The declared snapshots retention keeps: the last ``snapshot_keep`` of them, or all."""
    if args.snapshot_keep is None:
        return args.snapshots
    return args.snapshots[-args.snapshot_keep :] if args.snapshot_keep > 0 else ()


def restore_name(args: VirtualMachineArgs) -> str:
    assert args.restore is not None
    return args.restore.name or f"{args.name}-restore-{args.restore.snapshot}"


def _vm_ref(args: VirtualMachineArgs) -> dict[str, str]:
    return {"apiGroup": KUBEVIRT_API.partition("/")[0], "kind": VM, "name": args.name}


def compile_snapshots(args: VirtualMachineArgs, ctx: StackContext) -> list[Manifest]:
    """The VM's kept VirtualMachineSnapshots and its VirtualMachineRestore, if any."""
    manifests: list[Manifest] = [
        {
            "apiVersion": SNAPSHOT_API,
            "kind": VM_SNAPSHOT,
            "metadata": object_metadata(
                name, args.namespace, ctx, component=args.name, kind=ComponentKind.VM
            ),
            "spec": {"source": _vm_ref(args)},
        }
        for name in kept_snapshots(args)
    ]
    if args.restore is not None:
        manifests.append(
            {
                "apiVersion": SNAPSHOT_API,
                "kind": VM_RESTORE,
                "metadata": object_metadata(
                    restore_name(args), args.namespace, ctx, component=args.name, kind=ComponentKind.VM
                ),
                "spec": {
                    "target": _vm_ref(args),
                    "virtualMachineSnapshotName": args.restore.snapshot,
                    "targetReadinessPolicy": RESTORE_TARGET_READINESS,
                    "volumeRestorePolicy": RESTORE_VOLUME_POLICY,
                },
            }
        )
    return manifests
