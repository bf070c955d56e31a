"""The escape hatch: a patch merged into the compiled object, checked for conflicts and upstream schemas."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_disk, compile_network, compile_vm
from pulumi_kubevirt.compile.patch import apply_patch
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.spec import (
    BlankSource,
    Cpu,
    DiskArgs,
    Memory,
    NetworkArgs,
    StackContext,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.validate import validate_disk

CTX = StackContext("p", "s")


def vm(**patch: Any) -> VirtualMachineArgs:
    return VirtualMachineArgs(
        namespace="ns", name="web", cpu=Cpu.vcpus(2), memory=Memory("2Gi"), patch=patch.get("patch", {})
    )


def test_named_list_items_merge_by_name_and_new_fields_are_added() -> None:
    base = {"spec": {"disks": [{"name": "a", "bus": "virtio"}, {"name": "b"}]}}
    merged, conflicts = apply_patch(base, {"spec": {"disks": [{"name": "b", "serial": "X1"}, {"name": "c"}]}})
    assert conflicts == ()
    assert merged == {
        "spec": {"disks": [{"name": "a", "bus": "virtio"}, {"name": "b", "serial": "X1"}, {"name": "c"}]}
    }


def test_a_patch_that_changes_a_typed_field_is_a_conflict_and_the_typed_value_stays() -> None:
    merged, conflicts = apply_patch({"spec": {"runStrategy": "Always"}}, {"spec": {"runStrategy": "Halted"}})
    assert [(c.path, c.compiled, c.patched) for c in conflicts] == [("spec.runStrategy", "Always", "Halted")]
    assert merged["spec"]["runStrategy"] == "Always"


def test_quantities_that_are_equal_by_value_do_not_conflict() -> None:
    _, conflicts = apply_patch({"memory": {"guest": "1Gi"}}, {"memory": {"guest": "1024Mi"}})
    assert conflicts == ()


def test_vm_patch_adds_fields_the_typed_spec_does_not_model() -> None:
    patch = {
        "spec": {
            "template": {"spec": {"terminationGracePeriodSeconds": 0, "domain": {"devices": {"rng": {}}}}}
        }
    }
    (manifest,) = [m for m in compile_vm(vm(patch=patch), CTX) if m["kind"] == "VirtualMachine"]
    template = manifest["spec"]["template"]["spec"]
    assert template["terminationGracePeriodSeconds"] == 0
    assert template["domain"]["devices"]["rng"] == {}
    assert template["domain"]["cpu"]["sockets"] == 2  # typed fields untouched


def test_vm_patch_conflicting_with_typed_fields_names_the_path_and_the_fix() -> None:
    patch = {"spec": {"template": {"spec": {"domain": {"cpu": {"sockets": 4}}}}}}
    with pytest.raises(ValidationError) as caught:
        compile_vm(vm(patch=patch), CTX)
    (problem,) = caught.value.problems
    assert problem.path == "vms.web.patch.spec.template.spec.domain.cpu.sockets"
    assert "sets 4 where the typed fields set 2" in problem.message
    assert "typed field" in problem.fix


def test_vm_patch_is_checked_against_the_strict_upstream_schema() -> None:
    patch = {"spec": {"template": {"spec": {"domain": {"devices": {"notADevice": True}}}}}}
    with pytest.raises(ValidationError) as caught:
        compile_vm(vm(patch=patch), CTX)
    assert any("notADevice" in p.message or "notADevice" in p.path for p in caught.value.problems)


def test_disk_patch_can_give_a_source_the_typed_spec_lacks() -> None:
    vddk = {"vddk": {"url": "https://vcenter.example.com", "uuid": "u-1", "backingFile": "[ds] vm/vm.vmdk",
                     "thumbprint": "AA:BB", "secretRef": "vddk-credentials"}}  # fmt: skip
    disk = DiskArgs(namespace="ns", name="d", size="10Gi", patch={"spec": {"source": vddk}})
    (manifest,) = compile_disk(disk, CTX)
    assert manifest["spec"]["source"] == vddk


def test_disk_patch_that_gives_a_second_source_is_rejected() -> None:
    disk = DiskArgs(namespace="ns", name="d", size="10Gi", source=BlankSource(),
                    patch={"spec": {"source": {"upload": {}}}})  # fmt: skip
    (problem,) = validate_disk(disk, "fleet.disks.d")
    assert problem.path == "fleet.disks.d.patch.spec"
    assert "exactly one" in problem.message


def test_network_patch_adds_cni_keys_as_data() -> None:
    network = NetworkArgs(
        namespace="ns", name="lan", bridge="br0", patch={"spec": {"config": {"promiscMode": True}}}
    )
    (manifest,) = compile_network(network, CTX)
    assert '"promiscMode":true' in manifest["spec"]["config"]


def test_network_patch_may_not_change_a_typed_cni_key() -> None:
    network = NetworkArgs(
        namespace="ns", name="lan", bridge="br0", patch={"spec": {"config": {"bridge": "br1"}}}
    )
    with pytest.raises(ValidationError) as caught:
        compile_network(network, CTX)
    assert caught.value.problems[0].path == "networks.lan.spec.config.patch.bridge"


def test_the_fleet_config_takes_patch_and_adopt() -> None:
    fleet = load_fleet(
        {
            "defaults": {"namespace": "ns", "adopt": True},
            "vms": {
                "web": {
                    "memory": "1Gi",
                    "patch": {"spec": {"template": {"spec": {"priorityClassName": "hi"}}}},
                }
            },
        }
    )
    (web,) = fleet.vms
    assert web.adopt is True
    assert web.patch == {"spec": {"template": {"spec": {"priorityClassName": "hi"}}}}


def test_a_misspelt_patch_key_in_fleet_config_is_reported_with_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        load_fleet({"vms": {"web": {"namespace": "ns", "memory": "1Gi", "patches": {}}}})
    assert [p.path for p in caught.value.problems] == ["fleet.vms.web.patches"]
    assert "did you mean 'patch'" in caught.value.problems[0].fix
