"""``kvplan import`` from files: outputs, report (Markdown and versioned JSON), exit codes, no secrets."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from pulumi_kubevirt import cli
from pulumi_kubevirt.program.desired import desired_state_of_stack
from pulumi_kubevirt.spec.fleet import load_fleet

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PULUMI_KUBEVIRT_CORPUS", REPO.parent / "shared" / "corpus"))
REPORT_SCHEMA = json.loads((REPO / "schemas" / "import-report.schema.json").read_text())


def kvplan(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_the_stack_file_loads_and_secrets_are_only_referenced(tmp_path: Path) -> None:
    source = CORPUS / "03-kubevirt-vm-cirros-csmall.yaml"
    code, out, err = kvplan("import", str(source))
    assert code == 0, err
    assert "printed from cloud-init userdata" not in out + err  # inline cloud-init is a secret: never copied
    document = yaml.safe_load(out)
    vm = document["config"]["kubevirt:fleet"]["vms"]["vm-cirros-csmall"]
    assert vm["run_strategy"] == "Halted"
    assert vm["container_disks"] == [
        {"name": "containerdisk", "image": "registry:5000/kubevirt/cirros-container-disk-demo:devel"}
    ]
    assert vm["cloud_init"] == {"device": "cloudinitdisk"}
    assert "pulumi config set --secret cloudInitUserData_vm-cirros-csmall -- '<value>'" in out
    assert "pulumi config set --secret cloudInitUserData_vm-cirros-csmall" in err


def test_neither_running_nor_run_strategy_means_halted_written_explicitly(tmp_path: Path) -> None:
    manifest = tmp_path / "vm.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "quiet"},
        "spec": {"template": {"spec": {"domain": {"devices": {}, "memory": {"guest": "1Gi"},
                 "firmware": {"bootloader": {"efi": {}}}}}}},
    }))  # fmt: skip
    code, out, err = kvplan(
        "import", str(manifest), "--namespace", "lab", "--report", str(tmp_path / "r.json")
    )
    assert code == 0, err
    vm = yaml.safe_load(out)["config"]["kubevirt:fleet"]["vms"]["quiet"]
    assert vm["run_strategy"] == "Halted"
    assert vm["namespace"] == "lab"
    assert vm["firmware"] == {"kind": "uefi", "secure_boot": True}  # EFI without secureBoot: secure boot on
    rows = {r["path"]: r for r in json.loads((tmp_path / "r.json").read_text())["fields"]}
    assert rows["spec.runStrategy"]["status"] == "warned"
    assert rows["spec.template.spec.domain.firmware.bootloader.efi.secureBoot"]["status"] == "warned"


def test_json_report_is_versioned_and_valid_against_its_schema(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, _, err = kvplan(
        "import", str(CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml"), "--report", str(report)
    )
    assert code == 0, err
    document = json.loads(report.read_text())
    errors = sorted(e.message for e in Draft202012Validator(REPORT_SCHEMA).iter_errors(document))
    assert errors == []
    assert document["version"] == 1
    by_path = {r["path"]: r for r in document["fields"]}
    assert by_path['metadata.annotations["harvesterhci.io/os"]']["status"] == "dropped"
    assert by_path["spec.template.spec.topologySpreadConstraints[0].maxSkew"]["target"].startswith(
        "fleet.vms.base-vm.patch."
    )


def test_markdown_report_lists_what_went_to_the_patch(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    code, _, _ = kvplan(
        "import", str(CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml"), "--report", str(report)
    )
    assert code == 0
    text = report.read_text()
    assert "## Fields kept in the escape hatch (`patch`)" in text
    assert "terminationGracePeriodSeconds" in text


def test_several_sources_merge_into_one_stack(tmp_path: Path) -> None:
    files = [
        CORPUS / "11-cdi-dv-import-http.yaml",
        CORPUS / "19-tsotsos-homelab-harvester-nad-vlan8-dhcp.yaml",
    ]
    code, out, err = kvplan("import", *map(str, files))
    assert code == 0, err
    fleet = yaml.safe_load(out)["config"]["kubevirt:fleet"]
    assert sorted(fleet) == ["disks", "networks"]
    load_fleet(fleet)


def test_a_name_used_twice_is_an_error_naming_both_files(tmp_path: Path) -> None:
    twin = tmp_path / "twin.yaml"
    text = (CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml").read_text()
    twin.write_text(text.replace("hostname: base-vm", "hostname: twin"))
    code, out, err = kvplan("import", str(CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml"), str(twin))
    assert code == 1
    assert out == ""
    assert "fleet.vms.base-vm: the name is used twice" in err
    assert str(twin) in err


def test_a_source_kubevirt_would_reject_exits_1_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "bad"},
        "spec": {"runStrategy": "Sometimes", "template": {"spec": {"domain": {"devices": {}}}}},
    }))  # fmt: skip
    code, out, err = kvplan("import", str(bad))
    assert code == 1
    assert out == ""
    assert "runStrategy" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("x.yaml", "apiVersion: v1\nkind: [unclosed", "cannot be read as YAML"),
        ("x.txt", "just text", "no import source recognises this file"),
        ("missing.yaml", None, "no such file"),
    ],
    ids=["broken-yaml", "not-a-manifest", "missing-file"],
)
def test_unreadable_input_is_a_message_not_a_traceback(
    tmp_path: Path, name: str, content: str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code, out, err = kvplan("import", str(path))
    assert code == 1
    assert out == ""
    assert expected in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "names",
    [
        ["03-kubevirt-vm-cirros-csmall.yaml", "19-tsotsos-homelab-harvester-nad-vlan8-dhcp.yaml"],
        ["16-cdi-vm-dv.yaml"],
        ["18-tsotsos-homelab-harvester-vm-base.yaml"],
    ],
    ids=["cloud-init-secret-and-network", "vm-with-disk", "harvester-vm"],
)
def test_python_format_renders_the_same_objects_as_the_fleet_format(tmp_path: Path, names: list[str]) -> None:
    sources = [str(CORPUS / name) for name in names]
    code, program, err = kvplan("import", *sources, "--format", "python")
    assert code == 0, err
    code, stack, err = kvplan("import", *sources)
    assert code == 0, err
    secrets = {
        line.split("--secret ")[1].split(" ")[0]: {"secure": "AAABAPLACEHOLDER"}
        for line in err.splitlines()
        if "--secret" in line
    }
    python_dir, fleet_dir = tmp_path / "python", tmp_path / "fleet"
    python_dir.mkdir()
    (python_dir / "Pulumi.yaml").write_text("name: imported\nruntime: python\n")
    (python_dir / "__main__.py").write_text(program)
    (python_dir / "Pulumi.dev.yaml").write_text(
        yaml.safe_dump({"config": {f"kubevirt:{k}": v for k, v in secrets.items()}})
    )
    fleet_dir.mkdir()
    (fleet_dir / "Pulumi.yaml").write_text(
        f"name: imported\nruntime: python\nmain: {REPO / 'programs' / 'fleet'}\n"
    )
    document = yaml.safe_load(stack)
    document["config"].update({f"kubevirt:{k}": v for k, v in secrets.items()})
    (fleet_dir / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    from_python = desired_state_of_stack(python_dir, "dev").manifests
    from_fleet = desired_state_of_stack(fleet_dir, "dev").manifests
    assert from_python == from_fleet
    assert len(from_python) >= 1


def test_output_is_byte_identical_across_runs() -> None:
    source = str(CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml")
    assert kvplan("import", source)[1] == kvplan("import", source)[1]


def test_verify_passes_on_a_corpus_file() -> None:
    code, _, err = kvplan("import", str(CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml"), "--verify")
    assert code == 0, err
    assert "--verify: every source field comes back the same or is explained in the report." in err
