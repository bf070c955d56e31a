"""Round trip on the shared corpus: import, render with the repository's fleet program, compare.

Every field comes back with the same value (quantities by value) or is explained by a report row that is not
``mapped``. The corpus is read in place (PULUMI_KUBEVIRT_CORPUS, default ../shared/corpus), never copied.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from pulumi_kubevirt.importers.output import stack_document
from pulumi_kubevirt.importers.pipeline import import_files
from pulumi_kubevirt.importers.report import FieldStatus
from pulumi_kubevirt.importers.sources import ImportOptions
from pulumi_kubevirt.importers.verify import verify
from pulumi_kubevirt.program.desired import desired_state_of_stack

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PULUMI_KUBEVIRT_CORPUS", REPO.parent / "shared" / "corpus"))
MANIFESTS = sorted(CORPUS.glob("*.yaml"))
NO_SIZE = {"13-cdi-dv-clone-pvc.yaml"}
"""A clone without a size (CDI takes the source's): our Disk needs one, so the import stops there."""


def _fleet_project(tmp_path: Path, stack_text: str, secrets: list[str]) -> Path:
    project = tmp_path / "project"
    shutil.copytree(REPO / "programs" / "fleet", project / "programs" / "fleet")
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    document = yaml.safe_load(stack_text)
    for key in secrets:  # what the printed `pulumi config set --secret` commands would leave in the file
        document["config"][f"kubevirt:{key}"] = {"secure": "AAABAPLACEHOLDER"}
    (project / "Pulumi.imported.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return project


def test_the_corpus_is_there() -> None:
    assert len(MANIFESTS) >= 20, f"no corpus at {CORPUS}"


@pytest.mark.parametrize("manifest", [m for m in MANIFESTS if m.name not in NO_SIZE], ids=lambda p: p.stem)
def test_every_field_comes_back_or_is_reported(manifest: Path, tmp_path: Path) -> None:
    imported = import_files([manifest], None, ImportOptions())
    assert imported.result.problems == ()
    assert imported.fleet is not None
    if not imported.result.fleet:  # only kinds we do not manage (instancetypes, VMIs, migrations, pools)
        assert {r.status for r in imported.result.records} == {FieldStatus.DROPPED}
        assert all("does not manage this kind" in r.message for r in imported.result.records)
        return
    project = _fleet_project(
        tmp_path, stack_document(imported.result), [s.config_key for s in imported.result.secrets]
    )
    rendered = desired_state_of_stack(project, "imported")
    differences = verify(
        imported.objects,
        imported.fleet,
        imported.result.records,
        default_namespace="default",
        rendered=rendered.manifests,
    )
    assert [d.line() for d in differences] == []
    # Every source object we import has rows, and nothing is silently mapped to nowhere.
    for record in imported.result.records:
        assert record.status is not FieldStatus.MAPPED or record.target or record.message, record


@pytest.mark.parametrize("manifest", [m for m in MANIFESTS if m.name in NO_SIZE], ids=lambda p: p.stem)
def test_a_disk_without_size_stops_the_import(manifest: Path) -> None:
    imported = import_files([manifest], None, ImportOptions())
    assert imported.fleet is None
    assert any("no storage size" in p.message for p in imported.result.problems)


def test_verify_catches_a_field_that_does_not_come_back(tmp_path: Path) -> None:
    manifest = CORPUS / "18-tsotsos-homelab-harvester-vm-base.yaml"
    imported = import_files([manifest], None, ImportOptions())
    assert imported.fleet is not None
    # Pretend the hostname row said nothing and the generated VM lost it: verify must notice.
    records = [r for r in imported.result.records if r.path != "spec.template.spec.hostname"]
    from dataclasses import replace

    fleet = replace(imported.fleet, vms=tuple(replace(vm, hostname=None) for vm in imported.fleet.vms))
    differences = verify(imported.objects, fleet, records, default_namespace="default")
    assert [d.path for d in differences] == ["spec.template.spec.hostname"]
