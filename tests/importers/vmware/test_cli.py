"""``kvplan import`` on VMware sources, end to end: flags, exit codes, the written stack rendered by the
repository's fleet program (under Pulumi's mock runtime) and valid upstream, and errors without tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pulumi_kubevirt.cli import main
from pulumi_kubevirt.program.desired import desired_state_of_stack
from pulumi_kubevirt.spec.upstream import validate_all_against_upstream

from .conftest import CORPUS, REPO

WIN19 = CORPUS / "vsphere-win2019-efi-secureboot-vtpm.ovf"
PHOTON = CORPUS / "govc-vminfo-config-photon.json"
VDDK_FLAGS = [
    "--vddk-url",
    "https://vcenter.example.com/sdk",
    "--vddk-secret",
    "vcenter-credentials",
    "--vddk-thumbprint",
    "31:3A:4B:5C",
]


@pytest.fixture
def maps(tmp_path: Path) -> dict[str, Path]:
    network = tmp_path / "networks.yaml"
    network.write_text(
        yaml.safe_dump(
            {"networks": {"VM Network": {"network": "vm-network", "bridge": "br-vm", "vlan": 20}}}
        ),
        encoding="utf-8",
    )
    storage = tmp_path / "storage.yaml"
    storage.write_text(yaml.safe_dump({"datastores": {"datastore1": "fast-ssd"}}), encoding="utf-8")
    return {"network": network, "storage": storage}


def test_ovf_import_renders_through_the_fleet_program(tmp_path: Path, maps: dict[str, Path]) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "programs" / "fleet", project / "programs" / "fleet")
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    stack = project / "Pulumi.migrated.yaml"
    report = tmp_path / "report.md"
    code = main(
        [
            "import", str(WIN19), "--namespace", "migrated", "--network-map", str(maps["network"]),
            "--disk-url-base", "https://files.example/win19/", "-o", str(stack), "--report", str(report),
        ]
    )  # fmt: skip
    assert code == 0
    fleet = yaml.safe_load(stack.read_text(encoding="utf-8"))["config"]["kubevirt:fleet"]
    assert fleet["disks"]["win19-disk1"]["source"] == {"http": "https://files.example/win19/win19-1.vmdk"}
    rendered = desired_state_of_stack(project, "migrated")
    kinds = sorted(m["kind"] for m in rendered.manifests)
    assert kinds == ["DataVolume", "DataVolume", "NetworkAttachmentDefinition", "VirtualMachine"]
    assert validate_all_against_upstream(rendered.manifests) == []
    text = report.read_text(encoding="utf-8")
    assert "## VMware mapping rules cited above" in text
    assert "| vtpm |" in text


def test_vsphere_import_with_vddk(
    tmp_path: Path, maps: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["import", str(PHOTON), "--network-map", str(maps["network"]), "--storage-map", str(maps["storage"]),
         *VDDK_FLAGS]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    fleet = yaml.safe_load(out)["config"]["kubevirt:fleet"]
    assert fleet["disks"]["test-disk1"]["storage_class"] == "fast-ssd"
    assert fleet["disks"]["test-disk1"]["source"]["vddk"]["secret_ref"] == "vcenter-credentials"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([str(WIN19)], "these networks are not mapped: 'VM Network'", id="no-network-map"),
        pytest.param(
            [str(PHOTON), "--network-map", "{network}"],
            "these datastores are not mapped to storage classes: 'datastore1'",
            id="no-storage-map",
        ),
        pytest.param(
            [str(PHOTON), "--network-map", "{network}", "--storage-map", "{storage}"],
            "the vCenter URL, Secret and thumbprint is missing",
            id="no-vddk",
        ),
        pytest.param(
            [
                str(PHOTON),
                "--network-map",
                "{network}",
                "--storage-map",
                "{storage}",
                "--vddk-url",
                "https://x",
            ],
            "VDDK needs the vCenter URL, the credentials Secret and the certificate thumbprint",
            id="half-the-vddk-flags",
        ),
        pytest.param(
            [str(WIN19), "--network-map", "{network}", "--configuration", "huge"],
            "there is no configuration 'huge'",
            id="unknown-configuration",
        ),
        pytest.param(
            [str(WIN19), "--network-map", "/nonexistent/map.yaml"], "cannot be read", id="missing-map-file"
        ),
    ],
)
def test_errors_exit_1_with_the_problem_and_write_nothing(
    args: list[str], expected: str, maps: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "Pulumi.x.yaml"
    filled = [a.format(network=maps["network"], storage=maps["storage"]) for a in args]
    code = main(["import", *filled, "-o", str(output)])
    err = capsys.readouterr().err
    assert code == 1
    assert expected in err
    assert "Traceback" not in err
    assert not output.exists()
