"""The import sources behind ``kvplan import``, and how several of them merge into one stack.

How to add a source: write a module under ``importers/`` (``importers/vmware/ovf.py``, say) that defines a
``Source`` value: its ``kind`` (a :class:`SourceKind`), a ``detect(path) -> bool`` that recognises its files
cheaply and without raising (look at the suffix and the first bytes; a file no source detects is an error
asking for ``--from``), and a ``load(paths, options) -> ImportResult`` that reads the files it is given and
returns fleet config (the ``kubevirt:fleet`` value: ``vms``, ``disks``, ``networks`` keyed by name), one
:class:`FieldRecord` per source field, the secrets it did not copy, and any problems (a problem stops the
write; it never raises for bad input). Then add it to the tuple in :func:`sources` below: one line (a
function, so the modules load lazily and never import each other in a circle). The CLI picks the source per
file (the first whose ``detect`` says yes, or the one ``--from`` names), loads each source's files together,
and :func:`merge_results` joins the results into one stack, where a VM, disk or network name used twice is an
error naming both files. The ``kubernetes`` source also reads a live cluster; that path is its own, not part
of this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.importers.report import ImportResult, SourceKind

FLEET_SECTIONS = ("vms", "disks", "networks")
"""The named sections of the fleet config; a name is unique within its section across all sources."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What every source may need from the command line."""

    namespace: str | None = None
    """``--namespace``: where a VM whose source names none goes (``default`` without it)."""
    configuration: str | None = None
    """``--configuration``: an OVF deployment option to use instead of the default one."""
    adopt: bool = False
    """Whether the generated stack adopts existing objects (only sources that read a cluster set this)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Source-specific options, keyed by the source's own names."""

    @property
    def default_namespace(self) -> str:
        return self.namespace or "default"


@dataclass(frozen=True, slots=True)
class Source:
    """One kind of thing VMs are imported from."""

    kind: SourceKind
    detect: Callable[[Path], bool]
    load: Callable[[Sequence[Path], ImportOptions], ImportResult]
    description: str = ""


def _kubernetes_source() -> Source:
    from pulumi_kubevirt.importers import kubernetes

    return kubernetes.SOURCE


def sources() -> tuple[Source, ...]:
    """Every registered source, in detection order (most specific first)."""
    from pulumi_kubevirt.importers.vmware import source as vmware

    return (
        vmware.PULUMI_STATE_SOURCE,
        vmware.VSPHERE_SOURCE,
        _kubernetes_source(),
        vmware.OVF_SOURCE,
        vmware.OVA_SOURCE,
    )


def source_for(kind: SourceKind) -> Source | None:
    return next((source for source in sources() if source.kind == kind), None)


def detect(path: Path) -> Source | None:
    """The first source that recognises ``path``; None when none does (the CLI then asks for ``--from``)."""
    for source in sources():
        try:
            if source.detect(path):
                return source
        except OSError:
            return None
    return None


def group_by_source(
    paths: Sequence[Path], forced: SourceKind | None
) -> tuple[dict[SourceKind, list[Path]], tuple[Problem, ...]]:
    """Files grouped by the source that reads them (in the order given), or problems for those none reads."""
    groups: dict[SourceKind, list[Path]] = {}
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "no such file", "check the path"))
            continue
        source = source_for(forced) if forced else detect(path)
        if source is None:
            known = ", ".join(s.kind.value for s in sources())
            problems.append(
                Problem(
                    str(path),
                    "no import source recognises this file" if forced is None else f"no {forced} source",
                    f"name the source with --from ({known})",
                )
            )
            continue
        groups.setdefault(source.kind, []).append(path)
    return groups, tuple(problems)


def _section_origins(result: ImportResult) -> dict[tuple[str, str], str]:
    """(section, name) -> the source file that produced it, from the report rows that target it."""
    origins: dict[tuple[str, str], str] = {}
    for record in result.records:
        parts = record.target.split(".")
        if len(parts) >= 3 and parts[0] == "fleet" and parts[1] in FLEET_SECTIONS:
            origins.setdefault((parts[1], parts[2]), record.source)
    return origins


def merge_results(results: Sequence[ImportResult]) -> ImportResult:
    """One stack from several sources; a name used twice in a section is an error naming both sources."""
    fleet: dict[str, Any] = {}
    records: list[Any] = []
    secrets: list[Any] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], str] = {}
    for result in results:
        origins = _section_origins(result)
        for key, value in result.fleet.items():
            if key not in FLEET_SECTIONS:
                if key in fleet and fleet[key] != value:
                    problems.append(
                        Problem(f"fleet.{key}", "two sources set different values", "import them separately")
                    )
                fleet.setdefault(key, value)
                continue
            section: dict[str, Any] = fleet.setdefault(key, {})
            for name, item in value.items():
                origin = origins.get((key, name), "?")
                if name in section:
                    if section[name] == item and key != "vms":
                        continue  # the same disk or network read from two manifests is one object
                    problems.append(
                        Problem(
                            f"fleet.{key}.{name}",
                            f"the name is used twice (in {seen[(key, name)]} and in {origin})",
                            "import them into separate stacks or rename one in its source",
                        )
                    )
                    continue
                section[name] = item
                seen[(key, name)] = origin
        records.extend(result.records)
        secrets.extend(result.secrets)
        problems.extend(result.problems)
    return ImportResult(
        fleet={key: fleet[key] for key in sorted(fleet)},
        records=tuple(sorted(set(records))),
        secrets=tuple(sorted(set(secrets), key=lambda s: s.config_key)),
        problems=tuple(problems),
    )
