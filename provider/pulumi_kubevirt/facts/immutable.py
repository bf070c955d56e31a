"""What forces a replacement: fields the API server (or an admission webhook) refuses to change.

One table drives both the Pulumi components (``replace_on_changes``, so ``pulumi up`` deletes and recreates
the object instead of failing) and the plan (``replace`` rows, so the plan says so beforehand).
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_kubevirt.facts.disk_growth import SIZE_HOLDERS
from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.facts.kinds import DV, PVC, SECRET, SERVICE, VM_POOL
from pulumi_kubevirt.facts.pattern import Pattern, dotted
from pulumi_kubevirt.facts.snapshots import SNAPSHOT_SPEC_IMMUTABLE, VM_RESTORE, VM_SNAPSHOT
from pulumi_kubevirt.facts.source import Upstream, cdi, kubernetes, kubevirt

_K8S_VALIDATION = "pkg/apis/core/validation/validation.go"
_CLAIM_FIELDS: tuple[Pattern, ...] = (
    ("accessModes",),
    ("dataSource",),
    ("dataSourceRef",),
    ("resources", "limits"),
    ("selector",),
    ("storageClassName",),
    ("volumeMode",),
    ("volumeName",),
)
"""The claim fields a DataVolume names under ``spec.storage``/``spec.pvc``, its size aside; listed one by one
so that a growth (``resources.requests``) is not a replacement."""


@dataclass(frozen=True, slots=True)
class ImmutableFields:
    """Fields of ``kind`` that cannot change once created: a change deletes the object and creates it again.

    ``impact`` is what that replacement does: ``destroys-data`` for a disk, ``replace`` otherwise.
    """

    id: str
    kind: str
    paths: tuple[Pattern, ...]
    impact: Impact
    reason: str
    source: Upstream

    @property
    def replace_on_changes(self) -> tuple[str, ...]:
        """The paths in Pulumi's property path syntax."""
        return tuple(dotted(p) for p in self.paths)


IMMUTABLE_FIELDS: tuple[ImmutableFields, ...] = (
    # A DataVolume's size is not here: the disk grows through its claim (facts.disk_growth).
    ImmutableFields(
        "datavolume-spec-immutable",
        DV,
        (
            ("spec", "source"),
            *(("spec", holder, *field) for holder in SIZE_HOLDERS for field in _CLAIM_FIELDS),
            ("spec", "contentType"),
            ("spec", "preallocation"),
            ("spec", "priorityClassName"),
            ("spec", "serviceAccountName"),
        ),
        Impact.DESTROYS_DATA,
        "CDI rejects any update of a DataVolume's spec but the checkpoints of a multi-stage (warm) "
        "vddk/imageio import: the disk is deleted and created again, empty or re-imported",
        cdi("pkg/apiserver/webhooks/datavolume-validate.go", "dataVolumeValidatingWebhook.Admit"),
    ),
    ImmutableFields(
        "datavolume-source-ref",
        DV,
        (("spec", "sourceRef"),),
        Impact.DESTROYS_DATA,
        "another DataSource (golden image): CDI rejects DataVolume spec updates, so the disk is deleted and "
        "cloned again from it. A new revision of the same DataSource (a DataImportCron import) changes the "
        "DataSource, never this DataVolume's spec: CDI resolves the reference only while it populates the "
        "disk, so an existing disk keeps the image it was cloned from",
        cdi(
            "pkg/apiserver/webhooks/datavolume-validate.go",
            "dataVolumeValidatingWebhook.Admit; pkg/controller/datavolume/controller-base.go getSourceRefOp",
        ),
    ),
    ImmutableFields(
        "pvc-spec-immutable",
        PVC,
        (
            ("spec", "accessModes"),
            ("spec", "dataSource"),
            ("spec", "dataSourceRef"),
            ("spec", "resources", "limits"),
            ("spec", "selector"),
            ("spec", "storageClassName"),
            ("spec", "volumeMode"),
            ("spec", "volumeName"),
        ),
        Impact.DESTROYS_DATA,
        "a claim's spec is immutable after creation except resources.requests (growing a bound claim) and "
        "volumeAttributesClassName: the claim and its data are replaced",
        kubernetes(_K8S_VALIDATION, "ValidatePersistentVolumeClaimUpdate"),
    ),
    ImmutableFields(
        "service-immutable",
        SERVICE,
        (("spec", "clusterIP"), ("spec", "clusterIPs")),
        Impact.REPLACE,
        "the cluster IP of a Service cannot change once allocated: the Service is replaced",
        kubernetes(_K8S_VALIDATION, "ValidateServiceUpdate"),
    ),
    ImmutableFields(
        "secret-type-immutable",
        SECRET,
        (("type",),),
        Impact.REPLACE,
        "a Secret's type is immutable: the Secret is replaced",
        kubernetes(_K8S_VALIDATION, "ValidateSecretUpdate"),
    ),
    ImmutableFields(
        "vm-snapshot-spec-immutable",
        VM_SNAPSHOT,
        (("spec",),),
        Impact.REPLACE,
        "a snapshot's spec is fixed at creation: a changed one is a new snapshot (the old one is deleted)",
        SNAPSHOT_SPEC_IMMUTABLE.source,
    ),
    ImmutableFields(
        "vm-restore-spec-immutable",
        VM_RESTORE,
        (("spec",),),
        Impact.REPLACE,
        "a restore's spec is fixed at creation: a changed one is a new restore request",
        SNAPSHOT_SPEC_IMMUTABLE.source,
    ),
    ImmutableFields(
        "pool-selector-immutable",
        VM_POOL,
        (("spec", "selector"),),
        Impact.REPLACE,
        'KubeVirt\'s pool webhook refuses a new selector ("selector is immutable after creation"): the pool '
        "is replaced, and its members go with it (they are owned by the pool)",
        kubevirt(
            "pkg/virt-api/webhooks/validating-webhook/admitters/vmpool-admitter.go", "ValidateVMPoolSpec"
        ),
    ),
)

MULTI_STAGE_SOURCES: tuple[str, ...] = ("vddk", "imageio")
"""DataVolume sources whose ``checkpoints``/``finalCheckpoint`` CDI lets change in place (a warm migration),
as long as the new spec keeps at least one checkpoint: ``Admit`` compares the specs with both blanked out only
then ("Always admit checkpoint updates for multi-stage migrations")."""

_BY_KIND: dict[str, tuple[str, ...]] = {}
for _row in IMMUTABLE_FIELDS:
    _BY_KIND[_row.kind] = (*_BY_KIND.get(_row.kind, ()), *_row.replace_on_changes)


def replace_on_changes(kind: str) -> tuple[str, ...]:
    """Pulumi ``replace_on_changes`` for a kind (empty when nothing about it is immutable)."""
    return _BY_KIND.get(kind, ())
