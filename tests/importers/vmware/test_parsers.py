"""The parsers on the dialects each source comes in: OVF namespaces and prefixes, deployment options, hostile
XML, vSphere JSON in camelCase, PascalCase and ``_typeName`` forms (vm.info and object.collect wrappers), and
pulumi-vsphere stack exports."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from pulumi_kubevirt.importers.report import SourceKind
from pulumi_kubevirt.importers.vmware import detect, load_pulumi_state
from pulumi_kubevirt.importers.vmware.model import Bus, Origin, SourceVm
from pulumi_kubevirt.importers.vmware.ovf import OvfError, parse_ovf
from pulumi_kubevirt.importers.vmware.pulumi_vsphere import SECRET_SIGNATURE, parse_pulumi_state
from pulumi_kubevirt.importers.vmware.vsphere import parse_vsphere

from .conftest import CORPUS, options_for

PHOTON = json.loads((CORPUS / "govc-vminfo-config-photon.json").read_text(encoding="utf-8"))

# A small descriptor with two deployment options; {o} is the element prefix, {ns} the envelope namespace.
DESCRIPTOR = """<?xml version="1.0"?>
<{o}Envelope {default} xmlns:ovf="{ns}" xmlns:vmw="http://www.vmware.com/schema/ovf"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <{o}References><{o}File ovf:id="f1" ovf:href="app-disk1.vmdk"/></{o}References>
  <{o}DiskSection><{o}Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="20"
      ovf:capacityAllocationUnits="byte * 2^30"/></{o}DiskSection>
  <{o}DeploymentOptionSection>
    <{o}Configuration ovf:id="small"><{o}Label>Small</{o}Label></{o}Configuration>
    <{o}Configuration ovf:id="large" ovf:default="true"><{o}Label>Large</{o}Label></{o}Configuration>
  </{o}DeploymentOptionSection>
  <{o}VirtualSystem ovf:id="app">
    <{o}Name>App Server</{o}Name>
    <{o}OperatingSystemSection ovf:id="80" vmw:osType="rhel8_64Guest"/>
    <{o}VirtualHardwareSection>
      <{o}Item><rasd:InstanceID>10</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:Parent>3</rasd:Parent>
        <rasd:AddressOnParent>0</rasd:AddressOnParent></{o}Item>
      <{o}Item ovf:configuration="small"><rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></{o}Item>
      <{o}Item ovf:configuration="large"><rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>8</rasd:VirtualQuantity>
        <vmw:CoresPerSocket ovf:required="false">4</vmw:CoresPerSocket></{o}Item>
      <{o}Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:VirtualQuantity>6144</rasd:VirtualQuantity></{o}Item>
      <{o}Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>6</rasd:ResourceType>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType></{o}Item>
      <{o}Item><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:AutomaticAllocation>false</rasd:AutomaticAllocation>
        <rasd:Address>00:50:56:AB:CD:EF</rasd:Address>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:Connection>App VLAN</rasd:Connection></{o}Item>
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
      <vmw:Config ovf:required="false" vmw:key="cpuHotAddEnabled" vmw:value="true"/>
    </{o}VirtualHardwareSection>
  </{o}VirtualSystem>
</{o}Envelope>
"""
OVF1 = "http://schemas.dmtf.org/ovf/envelope/1"
OVF2 = "http://schemas.dmtf.org/ovf/envelope/2"
DIALECTS = {
    "ovf1-default-namespace": DESCRIPTOR.format(o="", default=f'xmlns="{OVF1}"', ns=OVF1),
    "ovf1-every-element-prefixed": DESCRIPTOR.format(o="ovf:", default="", ns=OVF1),
    "ovf2-default-namespace": DESCRIPTOR.format(o="", default=f'xmlns="{OVF2}"', ns=OVF2),
    "ovf2-every-element-prefixed": DESCRIPTOR.format(o="ovf:", default="", ns=OVF2),
}


def without_origins(vm: SourceVm) -> SourceVm:
    nowhere = Origin("", "")
    return replace(
        vm,
        file="",
        origins={},
        disks=tuple(replace(d, origin=nowhere) for d in vm.disks),
        nics=tuple(replace(n, origin=nowhere) for n in vm.nics),
        cdroms=(),
        ignored=(),
        unread_settings=(),
    )


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_namespace_dialect_reads_the_same(dialect: str) -> None:
    [vm] = parse_ovf(DIALECTS[dialect], "app.ovf")
    [reference] = parse_ovf(DIALECTS["ovf1-default-namespace"], "app.ovf")
    assert without_origins(vm) == without_origins(reference)
    assert (vm.cpus, vm.cores_per_socket, vm.memory_bytes) == (8, 4, 6 * 2**30)
    assert vm.disks[0].capacity_bytes == 20 * 2**30
    assert vm.disks[0].bus is Bus.SCSI
    assert vm.nics[0].mac_address == "00:50:56:ab:cd:ef"
    assert vm.nics[0].start_connected is False
    assert vm.cpu_hot_add is True


@pytest.mark.parametrize(
    ("configuration", "cpus"), [(None, 8), ("large", 8), ("small", 2)], ids=["default", "large", "small"]
)
def test_deployment_option(configuration: str | None, cpus: int) -> None:
    [vm] = parse_ovf(DIALECTS["ovf1-default-namespace"], "app.ovf", configuration)
    assert vm.cpus == cpus


def test_unknown_deployment_option_lists_the_known_ones() -> None:
    with pytest.raises(OvfError) as raised:
        parse_ovf(DIALECTS["ovf1-default-namespace"], "app.ovf", "medium")
    [problem] = raised.value.problems
    assert "'medium'" in problem.message
    assert "small, large" in problem.message


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1">&lol2;</Envelope>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><Name>&secret;</Name></Envelope>"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(BILLION_LAUGHS, "not a readable OVF descriptor", id="entity-expansion"),
        pytest.param(EXTERNAL_ENTITY, "not a readable OVF descriptor", id="external-entity"),
        pytest.param("<html><body/></html>", "not an OVF Envelope", id="not-an-envelope"),
        pytest.param("<Envelope", "not a readable OVF descriptor", id="truncated"),
    ],
)
def test_hostile_or_broken_xml_is_a_problem_not_a_traceback(text: str, expected: str) -> None:
    with pytest.raises(OvfError) as raised:
        parse_ovf(text, "bad.ovf")
    assert any(expected in p.message for p in raised.value.problems)
    assert "root:" not in str(raised.value)


def pascal(value: Any) -> Any:
    """The older govc JSON: PascalCase keys and no ``_typeName``."""
    if isinstance(value, dict):
        return {
            (k[0].upper() + k[1:]): pascal(v)
            for k, v in value.items()
            if k != "_typeName" and not (isinstance(v, dict) and v.get("_typeName") == "Description")
        }
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


WRAPPERS = {
    "config-info-typename": PHOTON,
    "govc-vm-info": {"virtualMachines": [{"name": "test", "config": PHOTON}]},
    "govc-vm-info-pascal": {"VirtualMachines": [{"Name": "test", "Config": pascal(PHOTON)}]},
    "govc-object-collect": [{"name": "config", "op": "assign", "val": PHOTON}],
    "govc-object-collect-pascal": [{"Name": "config", "Op": "assign", "Val": pascal(PHOTON)}],
}


@pytest.mark.parametrize("form", sorted(WRAPPERS))
def test_vsphere_json_forms(form: str) -> None:
    document = WRAPPERS[form]
    assert detect(json.dumps(document).encode(), "vm.json") is SourceKind.VSPHERE
    [vm] = parse_vsphere(document, "vm.json")
    assert (vm.name, vm.cpus, vm.cores_per_socket, vm.memory_bytes) == ("test", 1, 1, 2 * 2**30)
    assert vm.bios_uuid == "422ca90b-853b-1101-3350-759f747730cc"
    assert vm.guest_id == "vmwarePhoton64Guest"
    [disk] = vm.disks
    assert (disk.capacity_bytes, disk.datastore, disk.uuid) == (
        4 * 2**30,
        "datastore1",
        "6000C298-df15-fe89-ddcb-8ea33329595d",
    )
    [nic] = vm.nics
    assert (nic.mac_address, nic.network) == ("00:50:56:ac:4d:ed", "VM Network")


def test_typename_gives_the_device_types_that_pascal_case_has_to_infer() -> None:
    [typed] = parse_vsphere(WRAPPERS["govc-vm-info"], "vm.json")
    [inferred] = parse_vsphere(WRAPPERS["govc-vm-info-pascal"], "vm.json")
    assert (typed.disks[0].bus, typed.nics[0].model) == (Bus.SCSI, "VirtualVmxnet3")
    assert (inferred.disks[0].bus, inferred.nics[0].model) == (Bus.SCSI, "VirtualEthernetCard")


def stack_export(**outputs: Any) -> dict[str, Any]:
    vm = {
        "name": "db-01",
        "numCpus": 4,
        "numCoresPerSocket": 2,
        "memory": 8192,
        "firmware": "efi",
        "efiSecureBootEnabled": True,
        "cpuHotAddEnabled": True,
        "memoryHotAddEnabled": False,
        "guestId": "windows2019srvNext_64Guest",
        "uuid": "4215a5b2-0b4e-2c6a-5f3d-1c2b3a4d5e6f",
        "datastoreId": "datastore-21",
        "scsiType": "pvscsi",
        "vtpm": {"version": "2.0"},
        "disks": [
            {
                "label": "disk0",
                "size": 80,
                "unitNumber": 0,
                "path": "db-01/db-01.vmdk",
                "uuid": "6000C291-aaaa-bbbb-cccc-0123456789ab",
                "controllerType": "scsi",
            },
            {
                "label": "disk1",
                "size": 200,
                "unitNumber": 1,
                "path": "db-01/db-01_1.vmdk",
                "uuid": "6000C291-dddd-eeee-ffff-0123456789ab",
                "controllerType": "scsi",
                "datastoreId": "datastore-42",
            },
        ],
        "networkInterfaces": [
            {"networkId": "dvportgroup-1001", "adapterType": "vmxnet3", "macAddress": "00:50:56:9a:01:02"}
        ],
        "extraConfig": {SECRET_SIGNATURE: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:CIPHER"},
    }
    vm.update(outputs)
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:prod::infra::pulumi:pulumi:Stack::infra-prod",
                    "type": "pulumi:pulumi:Stack",
                },
                {
                    "urn": "urn:pulumi:prod::infra::vsphere:index/virtualMachine:VirtualMachine::db-01",
                    "type": "vsphere:index/virtualMachine:VirtualMachine",
                    "inputs": {"name": "db-01", "numCpus": 4},
                    "outputs": vm,
                },
            ]
        },
    }


def test_pulumi_vsphere_stack_export() -> None:
    document = stack_export()
    data = json.dumps(document).encode()
    assert detect(data, "stack.json") is SourceKind.PULUMI_STATE
    [vm] = parse_pulumi_state(document, "stack.json")
    assert (vm.cpus, vm.cores_per_socket, vm.memory_bytes) == (4, 2, 8 * 2**30)
    assert [d.capacity_bytes for d in vm.disks] == [80 * 2**30, 200 * 2**30]
    assert [d.file for d in vm.disks] == [
        "[datastore-21] db-01/db-01.vmdk",
        "[datastore-42] db-01/db-01_1.vmdk",
    ]
    assert (vm.vtpm, vm.secure_boot, vm.cpu_hot_add) == (True, True, True)
    result = load_pulumi_state(data, "stack.json", options_for((vm,)))
    assert result.problems == ()
    config = result.fleet["vms"]["db-01"]
    assert config["preference"] == "windows.2k22"  # windows2019srvNext is Server 2022
    assert config["cpu"] == {"sockets": 2, "cores": 2, "max_sockets": 8}
    assert config["nics"][0]["mac_address"] == "00:50:56:9a:01:02"
    assert (
        result.fleet["disks"]["db-01-disk2"]["source"]["vddk"]["backing_file"]
        == "[datastore-42] db-01/db-01_1.vmdk"
    )
    # The secret value in the state is never read, so it appears nowhere.
    assert "CIPHER" not in json.dumps([result.fleet, [r.message for r in result.records]])
