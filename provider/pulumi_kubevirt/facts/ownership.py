"""Objects made from ours that carry our stack labels but that the plan must not delete.

Why: KubeVirt's restore controller copies the source PVC's labels onto each PVC it restores, so a restore of a
stack's VM leaves claims labelled as the stack's. Planning their deletion would destroy the restored data.
The snapshots the apply step takes before a restart (``snapshot_before``) carry the stack's labels too; their
retention is the apply step's job, not a planned delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.facts.source import THIS_PROJECT, Upstream, kubevirt


@dataclass(frozen=True, slots=True)
class PlatformMade:
    """A marker (annotation or label key) that says which KubeVirt controller made the object, and why."""

    kind: str
    annotation: str
    label: str
    reason: str
    source: Upstream


SNAPSHOT_BEFORE_LABEL = "pulumi-kubevirt/snapshot-before"
"""On a snapshot taken by the apply step before a restart: the VM's name."""

PLATFORM_MADE: tuple[PlatformMade, ...] = (
    PlatformMade(
        kind="PersistentVolumeClaim",
        annotation="restore.kubevirt.io/name",
        label="restore.kubevirt.io/source-vm-name",
        reason=(
            "KubeVirt's restore controller creates restore-<uid>-<volume> claims for a restore, "
            "with the source claim's labels plus its own label and annotation"
        ),
        source=kubevirt(
            "pkg/storage/snapshot/restore.go",
            "CreateRestorePVCDef (Labels: sourcePVC.Labels); CreateRestorePVCDefFromVMRestore "
            "(restoreSourceNameLabel, RestoreNameAnnotation)",
        ),
    ),
    PlatformMade(
        kind="VirtualMachineSnapshot",
        annotation="",
        label=SNAPSHOT_BEFORE_LABEL,
        reason=(
            "the apply step takes these before a restart (snapshot_before) and deletes the oldest beyond "
            "snapshot_keep itself; the code declares none of them"
        ),
        source=Upstream(THIS_PROJECT, "provider/pulumi_kubevirt/components/snapshot_before.py"),
    ),
)


def made_by_platform(kind: str, obj: Mapping[str, Any]) -> PlatformMade | None:
    """The row whose marker ``obj`` carries, if KubeVirt made it from one of ours."""
    metadata = obj.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    labels = metadata.get("labels") or {}
    for row in PLATFORM_MADE:
        if row.kind == kind and ((row.annotation and row.annotation in annotations) or row.label in labels):
            return row
    return None
