"""Typed extensions real VMs need: device names of their own, LUNs, container disks, sysprep, hugepages,
dedicated CPUs with an isolated emulator thread, an existing cloud-init Secret, a Service's own name/selector.

Each compiles to what KubeVirt expects (checked against the strict upstream schema) and bad values are caught.
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.spec import (
    CloudInit,
    ContainerDisk,
    Cpu,
    DiskAttachment,
    DiskBus,
    Memory,
    ServiceExposure,
    ServicePort,
    StackContext,
    Sysprep,
    SysprepSourceKind,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.upstream import validate_all_against_upstream
from pulumi_kubevirt.spec.validate import validate_vm

CTX = StackContext("p", "s")


def vm(**fields: Any) -> VirtualMachineArgs:
    base: dict[str, Any] = {"namespace": "ns", "name": "web", "cpu": Cpu.vcpus(2), "memory": Memory("2Gi")}
    base.update(fields)
    return VirtualMachineArgs(**base)


def compiled(args: VirtualMachineArgs) -> dict[str, Any]:
    manifests = compile_vm(args, CTX)
    assert validate_all_against_upstream(manifests) == []
    (found,) = [m for m in manifests if m["kind"] == "VirtualMachine"]
    return found["spec"]["template"]["spec"]


def test_a_device_name_of_its_own_and_a_lun() -> None:
    spec = compiled(vm(disks=(DiskAttachment("db-data", bus=DiskBus.SCSI, name="datadisk", lun=True),)))
    assert spec["domain"]["devices"]["disks"] == [{"name": "datadisk", "lun": {"bus": "scsi"}}]
    assert spec["volumes"] == [{"name": "datadisk", "dataVolume": {"name": "db-data"}}]


def test_container_disk_and_sysprep() -> None:
    spec = compiled(
        vm(
            container_disks=(ContainerDisk("boot", "quay.io/containerdisks/fedora:40", boot_order=1),),
            sysprep=Sysprep("unattend", SysprepSourceKind.CONFIG_MAP),
        )
    )
    assert {"name": "boot", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}} in spec["volumes"]
    assert {"name": "sysprep", "sysprep": {"configMap": {"name": "unattend"}}} in spec["volumes"]
    assert {"name": "sysprep", "cdrom": {"bus": "sata"}} in spec["domain"]["devices"]["disks"]


def test_hugepages_and_dedicated_cpus_with_an_isolated_emulator_thread() -> None:
    cpu = Cpu(sockets=2, dedicated=True, isolate_emulator_thread=True)
    spec = compiled(vm(cpu=cpu, memory=Memory("4Gi", hugepages="1Gi")))
    assert spec["domain"]["memory"] == {"guest": "4Gi", "hugepages": {"pageSize": "1Gi"}}
    assert spec["domain"]["cpu"]["dedicatedCpuPlacement"] is True
    assert spec["domain"]["cpu"]["isolateEmulatorThread"] is True


def test_an_existing_cloud_init_secret_is_referenced_and_not_written() -> None:
    args = vm(cloud_init=CloudInit(secret_name="legacy-userdata", device="cloudinitdisk"))
    manifests = compile_vm(args, CTX)
    assert [m["kind"] for m in manifests] == ["VirtualMachine"]
    (volume,) = manifests[0]["spec"]["template"]["spec"]["volumes"]
    assert volume == {"name": "cloudinitdisk", "cloudInitNoCloud": {"secretRef": {"name": "legacy-userdata"}}}


def test_a_service_keeps_its_own_name_and_selector() -> None:
    service = ServiceExposure(ports=(ServicePort("ssh", 22),), name="legacy-ssh", selector={"app": "legacy"})
    (svc,) = [m for m in compile_vm(vm(service=service), CTX) if m["kind"] == "Service"]
    assert svc["metadata"]["name"] == "legacy-ssh"
    assert svc["spec"]["selector"] == {"app": "legacy"}


@pytest.mark.parametrize(
    ("args", "path", "words"),
    [
        (vm(memory=Memory("1536Mi", hugepages="1Gi")), "fleet.vms.web.memory.hugepages", "whole number"),
        (vm(memory=Memory("4Gi", hugepages="2Gi")), "fleet.vms.web.memory.hugepages", "not a huge page size"),
        (vm(cpu=Cpu(sockets=2, isolate_emulator_thread=True)), "fleet.vms.web.cpu.isolate_emulator_thread",
         "dedicated"),
        (vm(container_disks=(ContainerDisk("boot", " "),)), "fleet.vms.web.container_disks[0].image",
         "no image"),
        (vm(disks=(DiskAttachment("a", name="x"),), container_disks=(ContainerDisk("x", "img"),)),
         "fleet.vms.web.container_disks[0].name", "used more than once"),
        (vm(cloud_init=CloudInit(user_data="#cloud-config\n", secret_name="s")),
         "fleet.vms.web.cloud_init.secret_name", "would be unused"),
    ],
    ids=["hugepages-not-a-multiple", "hugepages-unknown-size", "isolate-without-dedicated", "empty-image",
         "device-name-clash",
         "secret-and-data"],
)  # fmt: skip
def test_bad_extension_values_are_caught(args: VirtualMachineArgs, path: str, words: str) -> None:
    problems = [p for p in validate_vm(args, "fleet.vms.web") if p.path == path]
    assert problems, validate_vm(args, "fleet.vms.web")
    assert words in problems[0].message


def test_fleet_config_spells_them_in_snake_case() -> None:
    fleet = load_fleet(
        {
            "vms": {
                "web": {
                    "namespace": "ns",
                    "cpu": {"sockets": 2, "dedicated": True, "isolate_emulator_thread": True},
                    "memory": {"guest": "4Gi", "hugepages": "2Mi"},
                    "container_disks": [{"name": "boot", "image": "quay.io/containerdisks/fedora:40"}],
                    "sysprep": {"name": "unattend"},
                    "cloud_init": {"secret_name": "userdata", "device": "cloudinitdisk"},
                    "service": {
                        "name": "web-ssh",
                        "selector": {"app": "web"},
                        "ports": [{"name": "ssh", "port": 22}],
                    },
                }
            }
        }
    )
    (web,) = fleet.vms
    assert web.cpu is not None
    assert web.cpu.isolate_emulator_thread
    assert web.memory is not None
    assert web.memory.hugepages == "2Mi"
    assert web.container_disks[0].image == "quay.io/containerdisks/fedora:40"
    assert web.sysprep is not None
    assert web.sysprep.name == "unattend"
    assert web.cloud_init is not None
    assert web.cloud_init.secret_name == "userdata"
    assert web.service is not None
    assert web.service.selector == {"app": "web"}
