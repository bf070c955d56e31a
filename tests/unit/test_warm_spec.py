"""Spec for moving VMs from VMware: the vddk source, warm-migration checkpoints, identity fields."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.spec import StackContext
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.upstream import validate_all_against_upstream

VDDK = {
    "url": "https://vcenter.example.com/sdk",
    "uuid": "422ca90b-853b-1101-3350-759f747730cc",
    "backing_file": "[datastore1] db/db.vmdk",
    "thumbprint": "31:3A:4B",
    "secret_ref": "vcenter-credentials",
}


def fleet(disk: dict[str, Any], vm: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "namespaces": ["migrated"],
        "defaults": {"namespace": "migrated"},
        "disks": {"db-disk1": {"size": "40Gi", **disk}},
        "vms": {
            "db": {"cpu": {"sockets": 2, "cores": 2}, "memory": "8Gi", "disks": ["db-disk1"], **(vm or {})}
        },
    }


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load_fleet(config)
    return [p.line() for p in raised.value.problems]


def test_warm_disk_and_identity_compile_to_valid_upstream_objects() -> None:
    config = fleet(
        {
            "source": {"vddk": VDDK},
            "checkpoints": [
                {"previous": "", "current": "snapshot-101"},
                {"previous": "snapshot-101", "current": "snapshot-102"},
            ],
            "final_checkpoint": True,
        },
        {
            "firmware": {"uuid": VDDK["uuid"], "serial": "VMware-42 2c a9 0b"},
            "disks": [{"disk": "db-disk1", "bus": "sata", "serial": "6000c298df15fe89ddcb8ea33329595d"}],
            "template_annotations": {"vm.kubevirt.io/os": "windows2k19"},
        },
    )
    manifests = compile_fleet(load_fleet(config), StackContext("migration", "prod"))
    assert validate_all_against_upstream(manifests) == []
    [dv] = [m for m in manifests if m["kind"] == "DataVolume"]
    assert dv["spec"]["source"] == {
        "vddk": {
            "url": VDDK["url"],
            "uuid": VDDK["uuid"],
            "backingFile": VDDK["backing_file"],
            "thumbprint": VDDK["thumbprint"],
            "secretRef": VDDK["secret_ref"],
        }
    }
    assert dv["spec"]["checkpoints"][1] == {"previous": "snapshot-101", "current": "snapshot-102"}
    assert dv["spec"]["finalCheckpoint"] is True
    [vm] = [m for m in manifests if m["kind"] == "VirtualMachine"]
    template = vm["spec"]["template"]
    assert template["spec"]["domain"]["firmware"] == {"uuid": VDDK["uuid"], "serial": "VMware-42 2c a9 0b"}
    assert template["spec"]["domain"]["devices"]["disks"][0]["serial"] == "6000c298df15fe89ddcb8ea33329595d"
    assert template["metadata"]["annotations"] == {"vm.kubevirt.io/os": "windows2k19"}


@pytest.mark.parametrize(
    ("disk", "expected"),
    [
        pytest.param(
            {
                "source": {"http": "https://img.example/db.qcow2"},
                "checkpoints": [{"previous": "", "current": "s1"}],
            },
            "fleet.disks.db-disk1.checkpoints: checkpoints (a warm migration) need a vddk source",
            id="checkpoints-need-vddk",
        ),
        pytest.param(
            {"source": {"vddk": VDDK}, "final_checkpoint": True},
            "fleet.disks.db-disk1.final_checkpoint: final_checkpoint marks the last of the checkpoints",
            id="final-without-checkpoints",
        ),
        pytest.param(
            {
                "source": {"vddk": VDDK},
                "checkpoints": [{"previous": "", "current": "s1"}, {"previous": "s0", "current": "s2"}],
            },
            "fleet.disks.db-disk1.checkpoints[1].previous: previous is 's0', but the checkpoint before it "
            "copied 's1'",
            id="broken-chain",
        ),
        pytest.param(
            {
                "source": {"vddk": VDDK},
                "checkpoints": [{"previous": "", "current": "s1"}, {"previous": "s1", "current": "s1"}],
            },
            "fleet.disks.db-disk1.checkpoints[1].current: snapshot 's1' is empty or already copied",
            id="same-snapshot-twice",
        ),
        pytest.param(
            {"source": {"vddk": {k: v for k, v in VDDK.items() if k != "secret_ref"}}},
            "fleet.disks.db-disk1.source.vddk.secret_ref: secret_ref is required here",
            id="vddk-needs-a-secret",
        ),
    ],
)
def test_bad_warm_config_is_reported_with_its_path(disk: dict[str, Any], expected: str) -> None:
    assert any(line.startswith(expected) for line in problems(fleet(disk))), problems(fleet(disk))
