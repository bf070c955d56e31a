"""Every file of the VMware corpus: parsed, mapped, compared with its golden output, valid against the strict
upstream schemas, rendered byte-identically twice, and (for OVF) the same when packed into an OVA.

The corpus is read in place (PULUMI_KUBEVIRT_CORPUS, default ../shared/corpus), never copied.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.compile.emit import dump_yaml
from pulumi_kubevirt.importers.report import FieldStatus, ImportResult
from pulumi_kubevirt.importers.vmware import detect, load_ova, load_ovf, load_vsphere_json
from pulumi_kubevirt.importers.vmware.model import SourceVm
from pulumi_kubevirt.importers.vmware.ovf import parse_ovf
from pulumi_kubevirt.importers.vmware.vsphere import parse_vsphere
from pulumi_kubevirt.spec import StackContext
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.upstream import validate_all_against_upstream

from .conftest import NAMESPACE, VMWARE_FILES, check_golden, options_for, result_document

IDS = [p.stem for p in VMWARE_FILES]


def parse(path: Path) -> tuple[SourceVm, ...]:
    data = path.read_bytes()
    if path.suffix == ".ovf":
        return parse_ovf(data, path.name)
    import json

    return parse_vsphere(json.loads(data), path.name)


def load(path: Path) -> ImportResult:
    data = path.read_bytes()
    options = options_for(parse(path))
    if path.suffix == ".ovf":
        return load_ovf(data, path.name, options)
    return load_vsphere_json(data, path.name, options)


def render(result: ImportResult) -> str:
    fleet = load_fleet({"namespaces": [NAMESPACE], **result.fleet})
    return dump_yaml(compile_fleet(fleet, StackContext("migration", "prod")))


@pytest.mark.parametrize("path", VMWARE_FILES, ids=IDS)
def test_golden(path: Path, update_golden: bool) -> None:
    result = load(path)
    assert result.problems == ()
    check_golden(path.stem, result_document(result), update_golden)


@pytest.mark.parametrize("path", VMWARE_FILES, ids=IDS)
def test_generated_stack_is_valid_upstream_and_deterministic(path: Path) -> None:
    result = load(path)
    fleet = load_fleet({"namespaces": [NAMESPACE], **result.fleet})
    manifests = compile_fleet(fleet, StackContext("migration", "prod"))
    assert [p.line() for p in validate_all_against_upstream(manifests)] == []
    assert render(result) == render(load(path))


@pytest.mark.parametrize("path", VMWARE_FILES, ids=IDS)
def test_every_report_row_names_its_rule_and_mapped_rows_a_target(path: Path) -> None:
    result = load(path)
    assert result.records
    for record in result.records:
        assert record.message.endswith("]"), record
        assert record.status in (FieldStatus.DROPPED, FieldStatus.WARNED) or record.target, record


@pytest.mark.parametrize("path", VMWARE_FILES, ids=IDS)
def test_detected_by_content(path: Path) -> None:
    assert detect(path.read_bytes(), path.name) == ("ovf" if path.suffix == ".ovf" else "vsphere")


def ova_of(ovf: Path, *, first: bool = True) -> bytes:
    """An OVA as ovftool writes it: a tar with the descriptor (first, per DSP0243) and the disk files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        members = [(f"{ovf.stem}.ovf", ovf.read_bytes()), (f"{ovf.stem}-disk1.vmdk", b"KDMV" + bytes(508))]
        for name, data in members if first else reversed(members):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


OVFS = [p for p in VMWARE_FILES if p.suffix == ".ovf"]


@pytest.mark.parametrize("first", [True, False], ids=["descriptor-first", "descriptor-last"])
@pytest.mark.parametrize("path", OVFS, ids=[p.stem for p in OVFS])
def test_ova_built_from_the_ovf_maps_the_same(path: Path, first: bool) -> None:
    data = ova_of(path, first=first)
    assert detect(data, "vm.ova") == "ova"
    options = options_for(parse(path))
    from_ova = load_ova(data, "vm.ova", options)
    from_ovf = load_ovf(path.read_bytes(), path.name, options)
    assert from_ova.problems == ()
    assert from_ova.fleet == from_ovf.fleet
    assert {r.source for r in from_ova.records} == {f"vm.ova/{path.stem}.ovf"}


@dataclass(frozen=True)
class Expect:
    """What a person reading each source by hand expects (see the corpus SOURCES.md)."""

    file: str
    vm: str
    checks: dict[str, Any]


def dig(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


EXPECTED = [
    Expect(
        "vsphere-win2019-efi-secureboot-vtpm",
        "win19",
        {
            "cpu.sockets": 1,
            "cpu.cores": 2,
            "memory": "4Mi",
            "firmware.kind": "uefi",
            "firmware.secure_boot": True,
            "firmware.persistent_efi": True,
            "tpm.persistent": True,
            "template_annotations.vm\\.kubevirt\\.io/os": "windows2k19",
            "cdroms.0.disk": "win19-virtio-win",
            "disks.0.bus": "sata",
            "nics.0.model": "e1000e",
        },
    ),
    Expect(
        "vmware-rhel6-ovf-prefixed",
        "vmw",
        {
            "cpu.sockets": 1,
            "cpu.cores": 2,
            "memory": "1536Mi",
            "preference": "linux",
            "nics.3.name": "nic4",
            "nics.3.network": "lanethernet0",
        },
    ),
    Expect(
        "vsphere-win2008-two-nics",
        "multivmmultinics",
        {
            "cpu.sockets": 2,
            "cpu.cores": 2,
            "memory": "4Gi",
            "preference": "windows.2k8",
            "nics.0.model": "e1000",
            "nics.1.model": "e1000",
        },
    ),
    Expect(
        "vcloud-rhel6-ide-sas-two-disks",
        "vm1",
        {
            "memory": "256Mi",
            "nics.0.mac_address": "00:50:56:0e:00:fa",
            "disks.0.disk": "vm1-disk1",
            "disks.0.boot_order": 1,
            "disks.1.disk": "vm1-disk2",
        },
    ),
    Expect("vbox-ubuntu-ovf2", "ubuntu", {"memory": "512Mi", "cpu.sockets": 1}),
    Expect(
        "govc-vminfo-config-photon",
        "test",
        {
            "memory": "2Gi",
            "firmware.uuid": "422ca90b-853b-1101-3350-759f747730cc",
            "disks.0.serial": "6000c298df15fe89ddcb8ea33329595d",
            "nics.0.mac_address": "00:50:56:ac:4d:ed",
            "nics.0.model": "e1000e",
        },
    ),
]


@pytest.mark.parametrize("expect", EXPECTED, ids=[e.file for e in EXPECTED])
def test_what_a_reader_of_the_source_expects(expect: Expect) -> None:
    """Below a preference's requirements (win19 has 4 MiB, the Ubuntu VM 512 MiB) no preference is set."""
    [path] = [p for p in VMWARE_FILES if p.stem == expect.file]
    vm = load(path).fleet["vms"][expect.vm]
    if expect.vm in ("win19", "ubuntu"):
        assert "preference" not in vm
    for dotted, value in expect.checks.items():
        if "\\." in dotted:
            head, _, key = dotted.partition(".")
            assert vm[head][key.replace("\\.", ".")] == value, dotted
        else:
            assert dig(vm, dotted) == value, dotted
