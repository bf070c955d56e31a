"""How a disk grows in place: which DataVolume fields its claim carries instead, and how CDI sizes that claim.

Why: CDI refuses every update of a DataVolume's spec, so a DataVolume disk can only grow through the claim CDI
created for it (Kubernetes lets a bound claim's storage request grow when its class allows expansion). The
components keep the DataVolume's size as created (Pulumi ``ignore_changes``) and patch the claim with the size
CDI would have requested for the new DataVolume size; the plan reads the claim to tell a grown disk from one
that still has to grow. KubeVirt then resizes the running VM's disk image; the guest grows its partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pulumi_kubevirt.facts.kinds import DV
from pulumi_kubevirt.facts.kubevirt import FeatureGate, GateState, Setting
from pulumi_kubevirt.facts.pattern import Pattern, dotted
from pulumi_kubevirt.facts.source import Upstream, cdi, kubernetes, kubevirt

SIZE_HOLDERS: tuple[str, ...] = ("storage", "pvc")
"""The two ways a DataVolume names its claim: the ``storage`` API (CDI fills in defaults) and ``pvc``."""


def size_pattern(holder: str) -> Pattern:
    """The path of a DataVolume's size under ``spec.<holder>``."""
    return ("spec", holder, "resources", "requests", "storage")


@dataclass(frozen=True, slots=True)
class GrownThroughClaim:
    """Fields of ``kind`` that never change on the object: the claim it owns carries the change instead."""

    kind: str
    paths: tuple[Pattern, ...]
    reason: str
    source: Upstream

    @property
    def ignore_changes(self) -> tuple[str, ...]:
        """The paths in Pulumi's property path syntax."""
        return tuple(dotted(p) for p in self.paths)


DATAVOLUME_SIZE = GrownThroughClaim(
    DV,
    tuple(size_pattern(holder) for holder in SIZE_HOLDERS),
    "CDI rejects any update of a DataVolume's spec; the claim it created grows instead (a bound claim's "
    "storage request may grow when its class allows expansion, and never shrink)",
    cdi(
        "pkg/apiserver/webhooks/datavolume-validate.go",
        "dataVolumeValidatingWebhook.Admit; kubernetes pkg/apis/core/validation/validation.go "
        "ValidatePersistentVolumeClaimUpdate",
    ),
)

FILESYSTEM_OVERHEAD: Setting[Decimal] = Setting(
    Decimal("0.06"),
    "a Filesystem claim made for a DataVolume's storage API is 6% larger than the DataVolume's size, unless "
    "CDIConfig sets another global or per-class overhead",
    "the disk image shares the volume with the filesystem's own metadata: InflateSizeWithOverhead asks "
    "GetRequiredSpace(overhead, size); the overhead comes from CDIConfig status.filesystemOverhead",
    cdi(
        "pkg/common/common.go",
        "DefaultGlobalOverhead; pkg/controller/datavolume/util.go pvcFromStorage -> renderPvcSpecVolumeSize "
        "(storage API only: spec.pvc is copied as written; Block volumes are not inflated); "
        "pkg/controller/common/util.go InflateSizeWithOverhead, GetFilesystemOverheadForStorageClass",
    ),
)

IMAGE_ALIGNMENT: Setting[int] = Setting(
    1024 * 1024,
    "the size is rounded up to a whole MiB before the overhead is added",
    "disk images are aligned to a multiple of every known hardware block size",
    cdi("pkg/util/util.go", "DefaultAlignBlockSize; GetRequiredSpace"),
)

EXPAND_DISKS = FeatureGate(
    "ExpandDisks",
    GateState.GA,
    "a running VM's disk image follows its claim's new capacity: virt-launcher resizes it online (libvirt "
    "BlockResize) and the guest sees a larger disk; a stopped VM's image is resized at its next start",
    kubevirt(
        "pkg/virt-config/featuregate/inactive.go",
        "ExpandDisksGate (GA); pkg/virt-launcher/virtwrap/manager.go SyncVMI -> shouldExpandOnline, "
        "expandDiskImagesOffline, possibleGuestSize",
    ),
)

GUEST_SIZE: Setting[str] = Setting(
    "(1 - overhead) x capacity",
    "on a Filesystem volume the grown disk is the claim's capacity less CDI's filesystem overhead (6% by "
    "default), rounded down to a MiB: about 0.4% under the size for a DataVolume (its claim is inflated), 6% "
    "under it for a plain claim",
    "possibleGuestSize leaves room for the volume's filesystem metadata",
    kubevirt("pkg/virt-launcher/virtwrap/manager.go", "possibleGuestSize"),
)

CLAIM_EXPANSION: Setting[str] = Setting(
    "allowVolumeExpansion",
    "a bound claim's storage request may grow only when its StorageClass sets allowVolumeExpansion: true; "
    "it never shrinks",
    "the PVC update validation and the resize admission plugin",
    kubernetes(
        "plugin/pkg/admission/storage/persistentvolume/resize/admission.go",
        "persistentVolumeClaimResize.Validate; pkg/apis/core/validation/validation.go "
        "ValidatePersistentVolumeClaimUpdate",
    ),
)


def ignore_changes(kind: str) -> tuple[str, ...]:
    """Pulumi ``ignore_changes`` for a kind's fields that grow through another object (empty for most)."""
    return DATAVOLUME_SIZE.ignore_changes if kind == DATAVOLUME_SIZE.kind else ()
