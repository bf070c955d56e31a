"""What the dev cluster serves besides Kubernetes itself: KubeVirt's, CDI's and Multus' CRDs (the
kube-apiserver 1.20 variants), the common-instancetypes, a deployed KubeVirt CR and two StorageClasses.

The CRDs and instancetypes ship in this package (``data/``, generated from the upstream API bundle by
``scripts/package_data.py``, with ``PROVENANCE.json`` and the licence), so an installed dev cluster needs no
checkout beside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core.packaged import PackageData

DEVCLUSTER_DATA = PackageData("pulumi_kubevirt_devcluster", "pulumi-kubevirt-devcluster")
CRD_DIR = "crds"
INSTANCETYPES_FILE = "instancetypes/common-instancetypes-v1.7.0.json"
KUBEVIRT_VERSION = "v1.9.0"
SIMULATED_PROVISIONER = "kubevirt.io/simulated"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
_CRD_PURPOSE = "holds the KubeVirt, CDI and Multus APIs the dev cluster installs"


@dataclass(frozen=True, slots=True)
class Crd:
    """One CRD, its request body read once (off the start's critical path), and what discovery lists."""

    name: str
    body: bytes
    group: str
    kind: str
    plural: str
    served_versions: tuple[str, ...]


def load_crds() -> list[Crd]:
    """Every packaged CRD, sorted by file name."""
    crds: list[Crd] = []
    for file_name in DEVCLUSTER_DATA.names(CRD_DIR, ".json", _CRD_PURPOSE):
        body = DEVCLUSTER_DATA.read_bytes(f"{CRD_DIR}/{file_name}", _CRD_PURPOSE)
        crd = json.loads(body)
        spec = crd["spec"]
        crds.append(
            Crd(
                name=crd["metadata"]["name"],
                body=body,
                group=spec["group"],
                kind=spec["names"]["kind"],
                plural=spec["names"]["plural"],
                served_versions=tuple(v["name"] for v in spec["versions"] if v.get("served", True)),
            )
        )
    return crds


def load_instancetypes() -> list[dict[str, Any]]:
    """The cluster-wide instancetypes and preferences of common-instancetypes."""
    documents: list[dict[str, Any]] = DEVCLUSTER_DATA.read_json(
        INSTANCETYPES_FILE, "holds the instancetypes and preferences the dev cluster installs"
    )
    return documents


def collection_path(manifest: Mapping[str, Any], plural: str) -> str:
    """The REST path that creates ``manifest``."""
    api_version = str(manifest["apiVersion"])
    prefix = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    namespace = manifest.get("metadata", {}).get("namespace")
    return f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"


def group_kind(manifest: Mapping[str, Any]) -> str:
    return f"{str(manifest['apiVersion']).rpartition('/')[0]}/{manifest['kind']}"


def storage_class(name: str, expandable: bool, default: bool) -> dict[str, Any]:
    """A StorageClass of the simulated provisioner (the simulator binds and grows its claims)."""
    metadata: dict[str, Any] = {"name": name}
    if default:
        metadata["annotations"] = {DEFAULT_CLASS_ANNOTATION: "true"}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata,
        "provisioner": SIMULATED_PROVISIONER,
        "allowVolumeExpansion": expandable,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


STORAGE_CLASSES = (
    storage_class("standard", expandable=True, default=True),
    storage_class("fixed-size", expandable=False, default=False),
)
KUBEVIRT_CR: Mapping[str, Any] = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "KubeVirt",
    "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
    "spec": {
        "certificateRotateStrategy": {},
        "configuration": {"developerConfiguration": {"featureGates": []}},
        "customizeComponents": {},
        "imagePullPolicy": "IfNotPresent",
        "workloadUpdateStrategy": {},
    },
}
KUBEVIRT_STATUS: Mapping[str, Any] = {
    "status": {
        "phase": "Deployed",
        "observedKubeVirtVersion": KUBEVIRT_VERSION,
        "targetKubeVirtVersion": KUBEVIRT_VERSION,
        "operatorVersion": KUBEVIRT_VERSION,
        "defaultArchitecture": "amd64",
    }
}
