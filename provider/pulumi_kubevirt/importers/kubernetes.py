"""The ``kubernetes`` import source: VirtualMachine, DataVolume, PVC, NAD, Secret and Service manifests.

Files are read as YAML streams (``---``-separated; ``kind: List`` items are unpacked). A source object that
KubeVirt, CDI or Multus would reject (checked offline against the strict upstream schemas) is an error with
its reasons; everything else is mapped by :mod:`pulumi_kubevirt.importers.kube_mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.importers.kube_mapping import SourceObject, import_objects
from pulumi_kubevirt.importers.report import ImportResult, SourceKind
from pulumi_kubevirt.importers.shapes import SHAPES, shape_problems
from pulumi_kubevirt.importers.sources import ImportOptions, Source
from pulumi_kubevirt.spec.upstream import UPSTREAM_SCHEMAS, validate_against_upstream

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def detect(path: Path) -> bool:
    """A YAML or JSON file that names an ``apiVersion`` and a ``kind``."""
    if path.suffix.lower() not in _MANIFEST_SUFFIXES or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8", errors="replace")[:8192]
    return "apiVersion" in head and "kind" in head


def _documents(path: Path, problems: list[Problem]) -> list[Mapping[str, Any]]:
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        where = getattr(error, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        problems.append(Problem(str(path), f"cannot be read as YAML{at}", "fix the file"))
        return []
    out: list[Mapping[str, Any]] = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, Mapping) or "kind" not in doc:
            problems.append(Problem(str(path), "a document is not a Kubernetes object", "remove it"))
        elif doc["kind"] == "List" or (str(doc["kind"]).endswith("List") and "items" in doc):
            out.extend(item for item in doc.get("items") or [] if isinstance(item, Mapping))
        else:
            out.append(doc)
    return out


def rejected_by_platform(item: SourceObject) -> list[Problem]:
    """What KubeVirt, CDI or Multus would reject in a source object (strict upstream schemas)."""
    if item.kind in SHAPES:
        return [
            Problem(f"{item.source}: {item.kind} {item.name}.{where}", message, "fix the source object")
            for where, message in shape_problems(item.obj)
        ]
    if item.kind not in UPSTREAM_SCHEMAS:
        return []
    clean = {k: v for k, v in item.obj.items() if k != "status"}
    return [
        Problem(f"{item.source}: {problem.path}", problem.message, problem.fix)
        for problem in validate_against_upstream(clean)
    ]


def import_source_objects(objects: Sequence[SourceObject], options: ImportOptions) -> ImportResult:
    problems: list[Problem] = []
    accepted = []
    for item in objects:
        rejected = rejected_by_platform(item)
        problems += rejected
        if not rejected:  # only objects of the right shape are mapped; the others are reported as they are
            accepted.append(item)
    result = import_objects(accepted, default_namespace=options.default_namespace, adopt=options.adopt)
    return ImportResult(
        fleet=result.fleet,
        records=result.records,
        secrets=result.secrets,
        problems=(*problems, *result.problems),
    )


def load(paths: Sequence[Path], options: ImportOptions) -> ImportResult:
    problems: list[Problem] = []
    objects = [SourceObject(doc, str(path)) for path in paths for doc in _documents(path, problems)]
    result = import_source_objects(objects, options)
    return ImportResult(result.fleet, result.records, result.secrets, (*problems, *result.problems))


SOURCE = Source(
    kind=SourceKind.KUBERNETES,
    detect=detect,
    load=load,
    description="Kubernetes manifests (VirtualMachine, DataVolume, PVC, NAD, Secret, Service)",
)
