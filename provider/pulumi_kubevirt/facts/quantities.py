"""Which keys hold Kubernetes quantities, so that ``1Gi`` and ``1024Mi`` compare equal.

The API server and KubeVirt re-spell quantities (``resource.Quantity`` canonical form); a plan must not show
that as a change. Only fields whose Go type is ``resource.Quantity`` (or a ``ResourceList`` value) are here:
``hugepages.pageSize`` is a plain string that KubeVirt compares as text (``PageSize == "1Gi"`` in
``pkg/liveupdate/memory``), so it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_kubevirt.facts.source import Upstream, kubernetes, kubevirt


@dataclass(frozen=True, slots=True)
class QuantityKey:
    """A mapping key whose value is a quantity wherever it appears in the kinds we compare."""

    key: str
    reason: str
    source: Upstream


_SCHEMA = kubevirt("staging/src/kubevirt.io/api/core/v1/schema.go")
QUANTITY_FIELDS: tuple[QuantityKey, ...] = (
    QuantityKey(
        "storage",
        "ResourceList value (PVC, DataVolume storage requests)",
        kubernetes("staging/src/k8s.io/api/core/v1/types.go", "ResourceList"),
    ),
    QuantityKey(
        "memory",
        "ResourceList value (VM resources requests and limits)",
        kubernetes("staging/src/k8s.io/api/core/v1/types.go", "ResourceList"),
    ),
    QuantityKey(
        "cpu",
        "ResourceList value (VM resources requests and limits)",
        kubernetes("staging/src/k8s.io/api/core/v1/types.go", "ResourceList"),
    ),
    QuantityKey(
        "ephemeral-storage",
        "ResourceList value",
        kubernetes("staging/src/k8s.io/api/core/v1/types.go", "ResourceList"),
    ),
    QuantityKey("guest", "Memory.Guest *resource.Quantity", _SCHEMA),
    QuantityKey("maxGuest", "Memory.MaxGuest *resource.Quantity", _SCHEMA),
    QuantityKey("capacity", "EmptyDiskSource.Capacity and HostDisk.Capacity resource.Quantity", _SCHEMA),
    QuantityKey("addedOverhead", "ReservedOverhead.AddedOverhead *resource.Quantity", _SCHEMA),
)

QUANTITY_KEY_PREFIXES: tuple[str, ...] = ("hugepages-",)
"""``ResourceList`` keys such as ``hugepages-2Mi`` are quantities too."""

QUANTITY_KEYS = frozenset(q.key for q in QUANTITY_FIELDS)


def is_quantity_key(key: str) -> bool:
    """Whether values under ``key`` are compared as quantities."""
    return key in QUANTITY_KEYS or key.startswith(QUANTITY_KEY_PREFIXES)
