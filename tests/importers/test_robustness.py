"""Odd but parseable input never crashes the importer: every corpus object with any one field removed, or with
any one value replaced by a value of the wrong type, imports or stops with problems (never an exception).
Plus the merge of several sources' results."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_kubevirt.importers.kube_mapping import SourceObject
from pulumi_kubevirt.importers.kubernetes import import_source_objects
from pulumi_kubevirt.importers.pipeline import check
from pulumi_kubevirt.importers.report import FieldRecord, FieldStatus, ImportResult
from pulumi_kubevirt.importers.sources import ImportOptions, merge_results

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PULUMI_KUBEVIRT_CORPUS", REPO.parent / "shared" / "corpus"))
CORE_OBJECTS = [
    ("service", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-ssh", "namespace": "a"},
                 "spec": {"selector": {"kubevirt.io/vm": "vm-alpine-datavolume"},
                          "ports": [{"name": "ssh", "port": 22, "targetPort": 22, "protocol": "TCP"}]}}),
    ("pvc", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "disk-alpine"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                      "storageClassName": "local", "volumeName": "pv-1"}}),
]  # fmt: skip
OBJECTS = [
    (path.stem, doc)
    for path in sorted(CORPUS.glob("*.yaml"))
    for doc in yaml.safe_load_all(path.read_text())
    if isinstance(doc, dict)
    and doc.get("kind") in ("VirtualMachine", "DataVolume", "NetworkAttachmentDefinition")
] + CORE_OBJECTS
COMPANIONS = [
    SourceObject(doc, "corpus")
    for path in (
        CORPUS / "01-kubevirt-vm-alpine-datavolume.yaml",
        CORPUS / "02-kubevirt-vm-alpine-multipvc.yaml",
    )
    for doc in yaml.safe_load_all(path.read_text())
    if isinstance(doc, dict)
]
"""VMs the Service selects and the PVC serves, so those objects are mapped, not just passed over."""


def _edits(obj: Any, trail: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += [((*trail, key), "remove"), ((*trail, key), "wrong-type")]
            out += _edits(value, (*trail, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            out += _edits(value, (*trail, index))
    return out


def _apply(obj: Any, trail: tuple[Any, ...], how: str) -> Any:
    edited = copy.deepcopy(obj)
    node = edited
    for part in trail[:-1]:
        node = node[part]
    if how == "remove":
        del node[trail[-1]]
    else:
        node[trail[-1]] = [] if not isinstance(node[trail[-1]], list) else "text"
    return edited


@pytest.mark.parametrize(("stem", "obj"), OBJECTS, ids=[f"{stem}-{o['kind']}" for stem, o in OBJECTS])
def test_no_single_edit_makes_the_importer_raise(stem: str, obj: dict[str, Any]) -> None:
    edits = _edits(obj)
    assert edits
    for trail, how in edits:
        edited = _apply(obj, trail, how)
        companions = COMPANIONS if obj["kind"] in ("Service", "PersistentVolumeClaim") else []
        result = check(import_source_objects([SourceObject(edited, stem), *companions], ImportOptions()))
        # Either a fleet that loads, or problems to show: nothing in between, nothing raised.
        assert (result.fleet is None) == bool(result.result.problems), (trail, how, result.result.problems)


def test_a_name_used_twice_across_sources_is_an_error_naming_both() -> None:
    def result(source: str) -> ImportResult:
        return ImportResult(
            fleet={"vms": {"web": {"namespace": "a", "memory": "1Gi"}}},
            records=(FieldRecord(source, "metadata.name", FieldStatus.MAPPED, "fleet.vms.web.name"),),
        )

    merged = merge_results([result("web.ovf"), result("web.yaml")])
    (problem,) = merged.problems
    assert problem.path == "fleet.vms.web"
    assert "web.ovf" in problem.message
    assert "web.yaml" in problem.message


def test_the_same_disk_from_two_sources_is_one_disk() -> None:
    disk = {"disks": {"data": {"namespace": "a", "size": "1Gi", "source": {"blank": {}}}}}
    merged = merge_results([ImportResult(fleet=disk), ImportResult(fleet=copy.deepcopy(disk))])
    assert merged.problems == ()
    assert merged.fleet == disk
