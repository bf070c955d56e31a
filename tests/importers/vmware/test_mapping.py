"""The mapping rules one by one: blockers, maps, identity, hot-add, guest OS table, first boot, warm."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from pulumi_kubevirt.core.quantity import parse_quantity
from pulumi_kubevirt.importers.report import FieldStatus
from pulumi_kubevirt.importers.vmware import FirstBoot, NetworkTarget, load_vsphere_json
from pulumi_kubevirt.importers.vmware.guest_os import GUEST_OS_TABLE, PREFERENCE_REQUIREMENTS, guest_os
from pulumi_kubevirt.importers.vmware.mapping import MAPPING, Rule, kubernetes_name, map_vms
from pulumi_kubevirt.importers.vmware.ovf import parse_ovf
from pulumi_kubevirt.importers.vmware.vsphere import parse_vsphere

from .conftest import CORPUS, options_for

PHOTON = json.loads((CORPUS / "govc-vminfo-config-photon.json").read_text(encoding="utf-8"))
INSTANCETYPES = CORPUS.parent.parent / "kubevirt" / "instancetypes"


def photon(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    document = copy.deepcopy(PHOTON)
    if edit is not None:
        edit(document)
    return document


def device(document: dict[str, Any], type_name: str) -> dict[str, Any]:
    return next(d for d in document["hardware"]["device"] if d["_typeName"] == type_name)


def load(document: dict[str, Any], **overrides: Any) -> Any:
    vms = parse_vsphere(document, "vm.json")
    return load_vsphere_json(json.dumps(document).encode(), "vm.json", options_for(vms, **overrides))


def _independent(d: dict[str, Any]) -> None:
    device(d, "VirtualDisk")["backing"]["diskMode"] = "independent_persistent"


def _rdm(d: dict[str, Any]) -> None:
    device(d, "VirtualDisk")["backing"] = {
        "_typeName": "VirtualDiskRawDiskMappingVer1BackingInfo",
        "fileName": "[datastore1] test/test-rdm.vmdk",
        "compatibilityMode": "physicalMode",
        "lunUuid": "0200000000600508b1001c",
    }


def _passthrough(d: dict[str, Any]) -> None:
    d["hardware"]["device"].append(
        {"_typeName": "VirtualPCIPassthrough", "key": 13000, "deviceInfo": {"label": "PCI device 0"}}
    )


def _shared(d: dict[str, Any]) -> None:
    device(d, "VirtualDisk")["backing"]["sharing"] = "sharingMultiWriter"


@dataclass(frozen=True)
class Blocker:
    id: str
    edit: Callable[[dict[str, Any]], None]
    rule: Rule
    text: str
    warm: bool = False


BLOCKERS = [
    Blocker("independent-disk", _independent, Rule.INDEPENDENT_DISK, "independent disk"),
    Blocker("raw-device-mapping", _rdm, Rule.RDM, "raw device mapping"),
    Blocker("pci-passthrough", _passthrough, Rule.PCI_PASSTHROUGH, "PCI passthrough"),
    Blocker("multi-writer-disk", _shared, Rule.SHARED_DISK, "multi-writer"),
    Blocker("warm-without-cbt", lambda d: None, Rule.CBT, "Changed Block Tracking, which is off", warm=True),
]


@pytest.mark.parametrize("blocker", BLOCKERS, ids=[b.id for b in BLOCKERS])
def test_blockers_are_errors_with_a_fix(blocker: Blocker) -> None:
    overrides = {"warm_snapshot": "snapshot-101"} if blocker.warm else {}
    result = load(photon(blocker.edit), **overrides)
    matching = [p for p in result.problems if blocker.text in p.message]
    assert matching, [p.line() for p in result.problems]
    fix = next(row.reason for row in MAPPING if row.rule is blocker.rule)
    assert matching[0].fix == fix
    assert matching[0].path.startswith("vm.json:")


def test_warm_with_change_tracking_gets_a_first_checkpoint_and_stays_halted() -> None:
    result = load(photon(lambda d: d.update(changeTrackingEnabled=True)), warm_snapshot="snapshot-101")
    assert result.problems == ()
    disk = result.fleet["disks"]["test-disk1"]
    assert disk["checkpoints"] == [{"previous": "", "current": "snapshot-101"}]
    assert "final_checkpoint" not in disk
    assert result.fleet["vms"]["test"]["run_strategy"] == "Halted"


def test_unmapped_networks_and_datastores_are_one_error_each_listing_every_name() -> None:
    def two_nics(d: dict[str, Any]) -> None:
        nic = copy.deepcopy(device(d, "VirtualVmxnet3"))
        nic.update(key=4001, macAddress="00:50:56:ac:4d:ee")
        nic["backing"]["deviceName"] = "Backup LAN"
        d["hardware"]["device"].append(nic)

    result = load(photon(two_nics), network_map={}, storage_map={"other-ds": "x"})
    messages = {p.path: p.message for p in result.problems}
    assert messages["--network-map"] == "these networks are not mapped: 'Backup LAN', 'VM Network'"
    assert messages["--storage-map"] == "these datastores are not mapped to storage classes: 'datastore1'"
    assert result.fleet["vms"]["test"]["nics"]  # the rest is still mapped, but nothing is written on problems


def test_two_nics_cannot_share_the_pod_network() -> None:
    [vm] = parse_ovf((CORPUS / "vsphere-win2008-two-nics.ovf").read_bytes(), "two.ovf")
    result = map_vms([vm], options_for((vm,), network_map={"3c705": NetworkTarget(None)}))
    assert any("only one NIC can use the pod network" in p.message for p in result.problems)


def test_duplicate_macs_across_vms_are_caught() -> None:
    [vm] = parse_vsphere(photon(), "a.json")
    [other] = parse_vsphere(photon(lambda d: d.update(name="test-copy")), "b.json")
    result = map_vms([vm, other], options_for((vm, other)))
    assert [(p.path, p.message, p.fix) for p in result.problems] == [
        (
            "fleet.vms.test-copy.nics[0].mac_address",
            "MAC address 00:50:56:ac:4d:ed is already used by fleet.vms.test.nics[0].mac_address",
            "pick another one",
        )
    ]


def test_same_name_twice_is_an_error_naming_both_files() -> None:
    [vm] = parse_vsphere(photon(), "a.json")
    [again] = parse_vsphere(photon(), "b.json")
    result = map_vms([vm, again], options_for((vm, again)))
    assert any("also used by a.json" in p.message for p in result.problems)


def test_hot_add_gives_headroom_of_kubevirts_default_ratio() -> None:
    result = load(photon(lambda d: d.update(cpuHotAddEnabled=True, memoryHotAddEnabled=True)))
    vm = result.fleet["vms"]["test"]
    assert vm["cpu"] == {"sockets": 1, "cores": 1, "max_sockets": 4}
    assert vm["memory"] == {"guest": "2Gi", "max_guest": "8Gi"}


def test_first_boot_virtio_is_the_second_step() -> None:
    path = CORPUS / "vsphere-win2019-efi-secureboot-vtpm.ovf"
    text = path.read_text(encoding="utf-8").replace(
        "<rasd:VirtualQuantity>4</rasd:VirtualQuantity>", "<rasd:VirtualQuantity>4096</rasd:VirtualQuantity>"
    )
    [vm] = parse_ovf(text, path.name)
    compatible = map_vms([vm], options_for((vm,))).fleet["vms"]["win19"]
    virtio = map_vms([vm], options_for((vm,), first_boot=FirstBoot.VIRTIO)).fleet["vms"]["win19"]
    assert (compatible["preference"], compatible["disks"][0]["bus"], compatible["nics"][0]["model"]) == (
        "windows.2k19",
        "sata",
        "e1000e",
    )
    assert (virtio["preference"], virtio["disks"][0]["bus"], virtio["nics"][0]["model"]) == (
        "windows.2k19.virtio",
        "virtio",
        "virtio",
    )
    # Only the devices and preference change between the steps: identity and sizes stay.
    same = {k: v for k, v in compatible.items() if k not in ("preference", "disks", "nics")}
    assert same == {k: v for k, v in virtio.items() if k not in ("preference", "disks", "nics")}


@pytest.mark.parametrize(
    ("guest_id", "preference"),
    [
        ("windows9_64Guest", "windows.10"),
        ("windows9Guest", "windows.10"),
        ("windows9Server64Guest", "windows.2k16"),
        ("windows2019srv_64Guest", "windows.2k19"),
        ("windows2019srvNext_64Guest", "windows.2k22"),
        ("windows2022srvNext_64Guest", "windows.2k25"),
        ("windows11_64Guest", "windows.11"),
        ("windows7Server64Guest", "windows.2k8"),
        ("rhel9_64Guest", "rhel.9"),
        ("rhel6_64Guest", "linux"),
        ("centos9_64Guest", "centos.stream9"),
        ("ubuntu64Guest", "ubuntu"),
        ("debian12_64Guest", "debian"),
        ("sles15_64Guest", "sles"),
        ("vmwarePhoton64Guest", "linux"),
        ("other5xLinux64Guest", "linux"),
    ],
)
def test_guest_table(guest_id: str, preference: str) -> None:
    row = guest_os(guest_id)
    assert row is not None
    assert row.preference == preference


def test_unknown_guest_gets_no_preference_and_a_warning() -> None:
    result = load(photon(lambda d: d.update(guestId="solaris11_64Guest")))
    assert "preference" not in result.fleet["vms"]["test"]
    [row] = [r for r in result.records if r.path == "guestId"]
    assert row.status is FieldStatus.WARNED


def preferences() -> dict[str, dict[str, Any]]:
    """The cluster preferences of the common-instancetypes bundle, by name."""
    found = {}
    for path in INSTANCETYPES.glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for item in (document or {}).get("items", [document] if document else []):
                if item.get("kind", "").endswith("Preference"):
                    found[item["metadata"]["name"]] = item["spec"]
    assert len(found) > 50, f"no preferences found in {INSTANCETYPES}"
    return found


def test_every_preference_in_the_table_exists_in_common_instancetypes() -> None:
    used = {p for row in GUEST_OS_TABLE for p in (row.preference, row.virtio_preference) if p}
    assert used - set(preferences()) == set()


def test_requirement_table_matches_common_instancetypes() -> None:
    bundle = preferences()
    used = {p for row in GUEST_OS_TABLE for p in (row.preference, row.virtio_preference) if p}
    expected = {}
    for name in used:
        spec = bundle[name]
        # The table counts sockets: true while every used preference prefers sockets (KubeVirt's default).
        assert (spec.get("cpu") or {}).get("preferredCPUTopology", "sockets") == "sockets", name
        requirements = spec.get("requirements")
        if requirements:
            memory = int(parse_quantity(requirements["memory"]["guest"]))
            expected[name] = (requirements["cpu"]["guest"], memory)
    assert expected == PREFERENCE_REQUIREMENTS


def test_a_vm_below_its_preference_requirements_gets_none_and_a_warning() -> None:
    # Windows 11 with 1 socket x 2 cores: KubeVirt counts windows.11's 2 vCPUs in sockets.
    document = photon(lambda d: d.update(guestId="windows11_64Guest", name="desk"))
    document["hardware"].update(numCPU=2, numCoresPerSocket=2, memoryMB=8192)
    result = load(document)
    assert "preference" not in result.fleet["vms"]["desk"]
    [row] = [r for r in result.records if r.path == "guestId" and r.message.endswith("[guest-os]")]
    assert row.status is FieldStatus.WARNED
    assert "requires 2 socket(s) and 4Gi, and the VM has 1 and 8Gi" in row.message
    document["hardware"].update(numCoresPerSocket=1)
    assert load(document).fleet["vms"]["desk"]["preference"] == "windows.11"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Win 2019 (prod)", "win-2019-prod"), ("DB_01", "db-01"), ("---", "vm"), ("a" * 80, "a" * 63)],
    ids=["spaces-and-brackets", "underscore", "nothing-left", "too-long"],
)
def test_kubernetes_name(name: str, expected: str) -> None:
    assert kubernetes_name(name) == expected


def test_vddk_source_carries_no_credentials() -> None:
    result = load(photon())
    vddk = result.fleet["disks"]["test-disk1"]["source"]["vddk"]
    assert set(vddk) == {"url", "uuid", "backing_file", "thumbprint", "secret_ref"}
    assert vddk["secret_ref"] == "vcenter-credentials"


def test_the_vsphere_boot_order_picks_the_boot_disk() -> None:
    def second_disk_boots(d: dict[str, Any]) -> None:
        disk = copy.deepcopy(device(d, "VirtualDisk"))
        disk.update(key=2001, unitNumber=1, capacityInBytes=8 * 2**30)
        disk["backing"].update(
            fileName="[datastore1] test/test_1.vmdk", uuid="6000C298-0000-0000-0000-000000000001"
        )
        d["hardware"]["device"].append(disk)
        d["bootOptions"]["bootOrder"] = [
            {"_typeName": "VirtualMachineBootOptionsBootableCdromDevice"},
            {"_typeName": "VirtualMachineBootOptionsBootableDiskDevice", "deviceKey": 2001},
        ]

    result = load(photon(second_disk_boots))
    first = result.fleet["vms"]["test"]["disks"][0]
    assert (first["boot_order"], first["serial"]) == (1, "6000c298000000000000000000000001")
    assert result.fleet["disks"][first["disk"]]["size"] == "8Gi"
    [row] = [r for r in result.records if r.message.endswith("[boot-disk]")]
    assert (row.status, row.path) == (FieldStatus.MAPPED, "hardware.device[key=2001]")
