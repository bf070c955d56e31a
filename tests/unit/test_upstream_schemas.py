"""Every compiled object of every golden case passes the upstream STRICT schemas (unknown fields rejected)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from package_data import bundle_dir, corpus_dir
from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.spec import StackContext
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.upstream import validate_against_upstream

CTX = StackContext(project="shop", stack="prod")
GOLDEN = Path(__file__).parent.parent / "golden" / "compile"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "fleet.yaml").is_file())


def compiled(case: str) -> list[dict[str, Any]]:
    return compile_fleet(load_fleet(yaml.safe_load((GOLDEN / case / "fleet.yaml").read_text())), CTX)


def test_the_bundle_is_present() -> None:
    """The suite fails, never skips, when the upstream data is missing."""
    assert (bundle_dir() / "schemas" / "kubevirt-virtualmachine.json").is_file()


@pytest.mark.parametrize("case", CASES)
def test_golden_case_is_valid_upstream(case: str) -> None:
    problems = [p.line() for m in compiled(case) for p in validate_against_upstream(m)]
    assert problems == []


@pytest.mark.parametrize(
    ("kind", "mutate", "path_fragment"),
    [
        ("VirtualMachine", lambda m: m["spec"].update(running=True), "spec"),
        ("VirtualMachine", lambda m: m["spec"]["template"]["spec"]["domain"].update(cpus=2), "domain"),
        ("VirtualMachine", lambda m: m["spec"].update(runStrategy="Sometimes"), "spec.runStrategy"),
        ("DataVolume", lambda m: m["spec"]["storage"].update(size="1Gi"), "spec.storage"),
        ("NetworkAttachmentDefinition", lambda m: m["spec"].update(config=3), "spec.config"),
        ("Service", lambda m: m["spec"]["ports"][0].update(port=0), "Service web/web"),
        ("Secret", lambda m: m.update(strngData={}), "Secret "),
    ],
    ids=[
        "running-and-runStrategy",
        "unknown-domain-field",
        "bad-run-strategy",
        "unknown-dv-field",
        "nad-config-type",
        "service-port",
        "secret-unknown-field",
    ],
)
def test_strict_schemas_catch_compiler_mistakes(kind: str, mutate: Any, path_fragment: str) -> None:
    manifest = copy.deepcopy(next(m for case in CASES for m in compiled(case) if m["kind"] == kind))
    mutate(manifest)
    problems = validate_against_upstream(manifest)
    assert problems, f"the broken {kind} passed"
    assert any(path_fragment in p.path for p in problems), [p.line() for p in problems]


def test_vm_problem_paths_use_names_for_list_items() -> None:
    manifest = copy.deepcopy(next(m for m in compiled("web-fleet") if m["kind"] == "VirtualMachine"))
    manifest["spec"]["template"]["spec"]["domain"]["devices"]["disks"][1]["bootOrdr"] = 2
    paths = [p.path for p in validate_against_upstream(manifest)]
    assert paths == ["VirtualMachine web/web: spec.template.spec.domain.devices.disks[name=db-data]"]


def test_corpus_vms_and_dvs_validate_like_ours() -> None:
    """Sanity check of the validator itself: real upstream manifests of the same kinds pass."""
    checked = 0
    for path in sorted(corpus_dir().glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") in ("VirtualMachine", "DataVolume"):
                assert validate_against_upstream(doc) == [], path.name
                checked += 1
    assert checked >= 5


def test_validation_reads_the_packaged_schemas_not_the_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pulumi_kubevirt.spec import upstream as schemas

    monkeypatch.setenv("PULUMI_KUBEVIRT_BUNDLE", str(tmp_path / "nowhere"))
    schemas._validator.cache_clear()
    try:
        problems = validate_against_upstream({"kind": "VirtualMachine", "apiVersion": "kubevirt.io/v1"})
    finally:
        schemas._validator.cache_clear()
    assert [p.message for p in problems] == [
        "the upstream schema (kubevirt-virtualmachine.json) rejects it: 'metadata' is a required property",
        "the upstream schema (kubevirt-virtualmachine.json) rejects it: 'spec' is a required property",
    ]


def test_a_missing_packaged_schema_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_kubevirt.core.packaged import PackageData, PackageDataMissingError
    from pulumi_kubevirt.spec import upstream as schemas

    monkeypatch.setattr(schemas, "PRODUCT_DATA", PackageData("json", "pulumi-kubevirt"))
    schemas._validator.cache_clear()
    try:
        with pytest.raises(PackageDataMissingError) as raised:
            validate_against_upstream({"kind": "VirtualMachine", "metadata": {"name": "x"}})
    finally:
        schemas._validator.cache_clear()
    message = str(raised.value)
    assert message.startswith("A data file of pulumi-kubevirt is missing:\n  - data/upstream/")
    assert "data/upstream/kubevirt-virtualmachine.json" in message
    assert "pip install --force-reinstall pulumi-kubevirt" in message


def shapes(value: Any, prefix: str = "") -> set[str]:
    """Key paths of a document, lists written as ``[]``: the shape without the values."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found |= {path} | shapes(item, path)
    elif isinstance(value, list):
        for item in value:
            found |= shapes(item, prefix + "[]")
    return found


# Shapes our VMs use that no corpus or sample VM happens to show, each with why it is right (all are in the
# strict schema, which test_golden_case_is_valid_upstream checks).
SHAPES_NOT_IN_THE_CORPUS = {
    "accessCredentials": "SSH keys via a Secret (user-guide: accessing_virtual_machines)",
    "domain.cpu.maxSockets": "CPU hot-plug ceiling (user-guide: cpu_hotplug)",
    "domain.cpu.model": "explicit CPU model (user-guide: virtual_hardware)",
    "domain.memory.maxGuest": "memory hot-plug ceiling (user-guide: memory_hotplug)",
    "domain.devices.autoattachPodInterface": "no NICs means no pod network",
    "domain.devices.disks[].cache": "per-disk cache mode",
    "domain.devices.disks[].cdrom": "CD-ROM drives",
    "domain.devices.interfaces[].macAddress": "fixed MAC address",
    "domain.devices.tpm.persistent": "persistent vTPM (needs vmStateStorageClass)",
    "domain.firmware.bootloader.efi.persistent": "persistent EFI variables (needs vmStateStorageClass)",
    "nodeSelector": "placement, passed through",
    "tolerations": "placement, passed through",
    "volumes[].cloudInitConfigDrive": "config-drive cloud-init from a Secret",
    "volumes[].dataVolume.hotpluggable": "hot-pluggable disks",
}


def test_compiled_vms_use_the_shapes_real_vms_use() -> None:
    real: set[str] = set()
    sources = [*corpus_dir().glob("*.yaml"), *(bundle_dir() / "samples").glob("*.yaml")]
    for path in sources:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "VirtualMachine":
                real |= shapes(doc["spec"].get("template", {}).get("spec", {}))
            elif isinstance(doc, dict) and doc.get("kind") == "VirtualMachineInstance":
                real |= shapes(doc.get("spec", {}))
    ours = {
        shape
        for case in CASES
        for manifest in compiled(case)
        if manifest["kind"] == "VirtualMachine"
        for shape in shapes(manifest["spec"]["template"]["spec"])
    }
    novel = {
        s
        for s in ours - real
        if not any(s == k or s.startswith((k + ".", k + "[]")) for k in SHAPES_NOT_IN_THE_CORPUS)
    }
    assert novel == set()
    assert len(ours & real) > 50, "the corpus comparison compared nothing"
