"""Every compiled object of every golden case passes the upstream STRICT schemas (unknown fields rejected)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_kubevirt.bundle import BundleMissingError, bundle_dir, corpus_dir
from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.fleet import load_fleet
from pulumi_kubevirt.schemas import validate_against_upstream
from pulumi_kubevirt.spec import StackContext

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


def test_missing_bundle_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pulumi_kubevirt import schemas

    monkeypatch.setenv("PULUMI_KUBEVIRT_BUNDLE", str(tmp_path / "nowhere"))
    schemas._validator.cache_clear()
    try:
        with pytest.raises(BundleMissingError):
            validate_against_upstream({"kind": "VirtualMachine", "metadata": {"name": "x"}})
    finally:
        schemas._validator.cache_clear()
