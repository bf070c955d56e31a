"""The claim a DataVolume disk grows through: the storage request CDI would ask for the DataVolume's size.

Why: CDI freezes a DataVolume's spec, so growth patches the claim CDI created (the components' claim patch)
and the plan reads that claim to tell a grown disk from one still to grow. Both must agree on the number,
so it is computed here, once, from CDI's sizing rules (``facts.disk_growth``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.facts.disk_growth import FILESYSTEM_OVERHEAD, IMAGE_ALIGNMENT

_MIB = 1024 * 1024
_GIB = 1024 * _MIB


def _size_holder(data_volume: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    spec = data_volume.get("spec") or {}
    for holder in ("storage", "pvc"):
        block = spec.get(holder)
        if isinstance(block, Mapping):
            return holder, block
    return None


def data_volume_size(data_volume: Mapping[str, Any]) -> Decimal | None:
    """The size a DataVolume asks for, in bytes; None when it names none (a clone may leave it out)."""
    found = _size_holder(data_volume)
    if found is None:
        return None
    return quantity_or_none(((found[1].get("resources") or {}).get("requests") or {}).get("storage"))


def claim_request(data_volume: Mapping[str, Any]) -> int | None:
    """The claim's storage request, in bytes, that CDI makes for this DataVolume (None without a size).

    The ``storage`` API inflates a Filesystem claim so the image fits beside the filesystem's metadata: the
    size aligned up to a MiB, times 1 + overhead, rounded up (CDI ``GetRequiredSpace``). ``spec.pvc`` and
    Block volumes are taken as written. A CDIConfig with another overhead gives a claim of another size: the
    plan then says so (:func:`smallest_size_for`).
    """
    found = _size_holder(data_volume)
    size = data_volume_size(data_volume)
    if found is None or size is None:
        return None
    holder, block = found
    align = IMAGE_ALIGNMENT.value
    aligned = -(-math.ceil(size) // align) * align
    if holder == "pvc" or block.get("volumeMode") == "Block":
        return math.ceil(size)
    return math.ceil(aligned * (1 + FILESYSTEM_OVERHEAD.value))


PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce"
"""pulumi-kubernetes: a ``*Patch`` resource takes the fields it sets from their current manager (CDI's)."""


def claim_growth_patch(data_volume: Mapping[str, Any]) -> dict[str, Any] | None:
    """The server-side-apply patch that grows a DataVolume's claim: only its storage request, forced.

    The claim has the DataVolume's name (CDI creates it so). None for a DataVolume without a size.
    """
    request = claim_request(data_volume)
    if data_volume.get("kind") != "DataVolume" or request is None:
        return None
    metadata = data_volume["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata.get("namespace"),
            "annotations": {PATCH_FORCE_ANNOTATION: "true"},
        },
        "spec": {"resources": {"requests": {"storage": str(request)}}},
    }


def smallest_size_for(data_volume: Mapping[str, Any], claim_bytes: Decimal) -> str:
    """The smallest DataVolume size (whole MiB, shown in Gi when whole) whose claim holds ``claim_bytes``."""
    mebibytes = max(math.ceil(claim_bytes / _MIB / (1 + FILESYSTEM_OVERHEAD.value)) - 1, 1)
    while (claim_request(with_size(data_volume, f"{mebibytes}Mi")) or 0) < claim_bytes:
        mebibytes += 1
    if (mebibytes * _MIB) % _GIB == 0:
        return f"{mebibytes * _MIB // _GIB}Gi"
    return f"{mebibytes}Mi"


def with_size(data_volume: Mapping[str, Any], size: str) -> dict[str, Any]:
    """A copy of the DataVolume asking for ``size`` (under whichever of ``storage``/``pvc`` it uses)."""
    found = _size_holder(data_volume)
    if found is None:
        return dict(data_volume)
    holder, block = found
    resources = dict(block.get("resources") or {})
    resources["requests"] = {**(resources.get("requests") or {}), "storage": size}
    spec = {**data_volume["spec"], holder: {**block, "resources": resources}}
    return {**data_volume, "spec": spec}
