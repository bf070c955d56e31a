"""The ``kubernetes`` import source: VirtualMachine, DataVolume, PVC, NAD, Secret and Service manifests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pulumi_kubevirt.importers.report import ImportResult, SourceKind
from pulumi_kubevirt.importers.sources import ImportOptions, Source

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def detect(path: Path) -> bool:
    """A YAML or JSON file whose first document names an ``apiVersion`` and a ``kind``."""
    if path.suffix.lower() not in _MANIFEST_SUFFIXES:
        return False
    head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    return "apiVersion" in head and "kind" in head


def load(paths: Sequence[Path], options: ImportOptions) -> ImportResult:
    """Filled in by the commits that follow (the mapping lives in importers/kube_mapping.py)."""
    raise NotImplementedError


SOURCE = Source(
    kind=SourceKind.KUBERNETES,
    detect=detect,
    load=load,
    description="Kubernetes manifests (VirtualMachine, DataVolume, PVC, NAD, Secret, Service) or a live cluster",
)
