"""Shared helpers for the VMware import tests: the corpus (read in place), options, golden comparison."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pulumi_kubevirt.importers.report import ImportResult
from pulumi_kubevirt.importers.vmware import NetworkTarget, VddkSettings, VmwareOptions
from pulumi_kubevirt.importers.vmware.mapping import kubernetes_name
from pulumi_kubevirt.importers.vmware.model import SourceVm

REPO = Path(__file__).resolve().parents[3]
CORPUS = Path(os.environ.get("PULUMI_KUBEVIRT_CORPUS", REPO.parent / "shared" / "corpus")) / "vmware"
VMWARE_FILES = sorted(p for p in CORPUS.glob("*") if p.suffix in (".ovf", ".json"))
GOLDEN = REPO / "tests" / "golden" / "vmware"
NAMESPACE = "migrated"
VDDK = VddkSettings(
    url="https://vcenter.example.com/sdk",
    secret_ref="vcenter-credentials",
    thumbprint="31:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C",
)


def options_for(vms: tuple[SourceVm, ...], **overrides: Any) -> VmwareOptions:
    """Every network the VMs use mapped to a bridge Network of the same (RFC 1123) name; any datastore to
    ``standard``; VDDK settings for datastore disks."""
    networks = {nic.network for vm in vms for nic in vm.nics}
    network_map = {
        name: NetworkTarget(kubernetes_name(name), {"bridge": "br-vm"}) for name in sorted(networks)
    }
    values: dict[str, Any] = {
        "namespace": NAMESPACE,
        "network_map": network_map,
        "storage_map": {"*": "standard"},
        "vddk": VDDK,
    }
    values.update(overrides)
    return VmwareOptions(**values)


def result_document(result: ImportResult) -> dict[str, Any]:
    """The whole result as plain data, for golden files."""
    return {
        "fleet": json.loads(json.dumps(result.fleet)),
        "problems": [problem.line() for problem in result.problems],
        "records": [
            {
                "source": r.source,
                "path": r.path,
                "status": r.status.value,
                "target": r.target,
                "message": r.message,
            }
            for r in result.records
        ],
    }


def check_golden(name: str, document: Mapping[str, Any], update: bool) -> None:
    path = GOLDEN / f"{name}.yaml"
    text = yaml.safe_dump(dict(document), sort_keys=True, allow_unicode=True, width=200)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run pytest with --update-golden"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: review, then --update-golden"
