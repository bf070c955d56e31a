"""One import, from sources to checked stack config: used by ``kvplan import`` and by the tests."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.importers import kubernetes
from pulumi_kubevirt.importers.kube_mapping import SourceObject
from pulumi_kubevirt.importers.report import ImportResult, SourceKind
from pulumi_kubevirt.importers.sources import ImportOptions, group_by_source, merge_results, source_for
from pulumi_kubevirt.spec import FleetArgs
from pulumi_kubevirt.spec.fleet import CLOUD_INIT_SECRET_KEYS, load_fleet

SECRET_STAND_INS = {
    template.split("{", 1)[0]: (field, stand_in) for field, template, stand_in in CLOUD_INIT_SECRET_KEYS
}
"""Secret config key prefix -> (cloud_init field, the stand-in used until the key is set)."""


@dataclass(frozen=True, slots=True)
class Imported:
    """An import's result, and the fleet it loads to (None when it has problems)."""

    result: ImportResult
    fleet: FleetArgs | None
    objects: tuple[SourceObject, ...] = ()


def with_secret_stand_ins(result: ImportResult) -> dict[str, Any]:
    """The fleet config as the fleet program sees it once the listed secrets are set."""
    config = copy.deepcopy(dict(result.fleet))
    for secret in result.secrets:
        for prefix, (field, stand_in) in SECRET_STAND_INS.items():
            if secret.config_key.startswith(prefix):
                vm = secret.config_key[len(prefix) :]
                vm_raw = (config.get("vms") or {}).get(vm)
                if isinstance(vm_raw, dict):
                    vm_raw.setdefault("cloud_init", {})[field] = stand_in
    return config


def check(result: ImportResult, objects: Sequence[SourceObject] = ()) -> Imported:
    """Load the generated config with our own validation; a failure there is reported as a problem."""
    if result.problems:
        return Imported(result, None, tuple(objects))
    try:
        fleet = load_fleet(with_secret_stand_ins(result))
    except ValidationError as error:
        problems = tuple(
            Problem(p.path, f"the generated config is not valid: {p.message}", p.fix) for p in error.problems
        )
        return Imported(replace(result, problems=problems), None, tuple(objects))
    return Imported(result, fleet, tuple(objects))


def import_files(paths: Sequence[Path], forced: SourceKind | None, options: ImportOptions) -> Imported:
    groups, problems = group_by_source(paths, forced)
    results = [ImportResult(problems=problems)] if problems else []
    for kind, files in groups.items():
        source = source_for(kind)
        assert source is not None
        results.append(source.load(files, options))
    objects: list[SourceObject] = []
    for path in groups.get(SourceKind.KUBERNETES, []):
        problems_seen: list[Problem] = []
        objects += [SourceObject(doc, str(path)) for doc in kubernetes._documents(path, problems_seen)]
    return check(merge_results(results), objects)


def import_cluster(objects: Sequence[Mapping[str, Any]], where: str, options: ImportOptions) -> Imported:
    source_objects = [SourceObject(obj, _object_source(where, obj)) for obj in objects]
    return check(kubernetes.import_source_objects(source_objects, options), source_objects)


def _object_source(where: str, obj: Mapping[str, Any]) -> str:
    """``cluster:dev/legacy/VirtualMachine/web``: one source per object, so each report row names it."""
    metadata = obj.get("metadata") or {}
    return f"{where}/{metadata.get('namespace', '')}/{obj.get('kind', '')}/{metadata.get('name', '')}"
