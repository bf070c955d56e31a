"""The VMware sources as ``kvplan import`` sees them: OVF, OVA, vSphere JSON and pulumi-vsphere state.

Each is a :class:`Source` (``importers/sources.py``): a cheap ``detect`` on the file's suffix and first bytes,
and a ``load`` that reads its files and maps all their VMs at once (so duplicate MACs and names across files
are caught). Source-specific options come in ``ImportOptions.extra``: ``network_map`` and ``storage_map``
(paths of map files), ``disk_url_base``, ``vddk_url``, ``vddk_secret``, ``vddk_thumbprint``,
``vddk_init_image_url``, ``warm_snapshot`` and ``first_boot`` (the flags' values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.importers.report import ImportResult, SourceKind
from pulumi_kubevirt.importers.sources import ImportOptions, Source
from pulumi_kubevirt.importers.vmware import detect as detect_content
from pulumi_kubevirt.importers.vmware.mapping import FirstBoot, VddkSettings, VmwareOptions, map_vms
from pulumi_kubevirt.importers.vmware.maps import NetworkTarget, parse_network_map, parse_storage_map
from pulumi_kubevirt.importers.vmware.model import SourceVm
from pulumi_kubevirt.importers.vmware.ovf import OvfError, parse_ova, parse_ovf
from pulumi_kubevirt.importers.vmware.pulumi_vsphere import PulumiStateError, parse_pulumi_state
from pulumi_kubevirt.importers.vmware.vsphere import VsphereError, parse_vsphere

_HEAD_BYTES = 65536


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_HEAD_BYTES)


def _detects(kind: SourceKind, suffixes: tuple[str, ...]) -> Callable[[Path], bool]:
    def detect(path: Path) -> bool:
        if not path.is_file():
            return False
        if path.suffix.lower() in (".ovf", ".ova"):
            return path.suffix.lower() in suffixes
        if path.suffix.lower() not in suffixes:
            return False
        data = path.read_bytes() if kind in (SourceKind.VSPHERE, SourceKind.PULUMI_STATE) else _head(path)
        return detect_content(data, path.name) is kind

    return detect


def _read(file: object, problems: list[Problem]) -> str | None:
    if not file:
        return None
    try:
        return Path(str(file)).read_text(encoding="utf-8")
    except OSError as error:
        problems.append(Problem(str(file), f"cannot be read ({error.strerror})", "check the path"))
        return None


def vmware_options(options: ImportOptions) -> tuple[VmwareOptions, list[Problem]]:
    """The mapping options from the command line's ``extra`` values, reading the map files."""
    extra: Mapping[str, Any] = options.extra
    problems: list[Problem] = []
    network_map: dict[str, NetworkTarget] = {}
    storage_map: dict[str, str] = {}
    text = _read(extra.get("network_map"), problems)
    if text is not None:
        networks, found = parse_network_map(text, str(extra["network_map"]))
        network_map.update(networks)
        problems += found
    text = _read(extra.get("storage_map"), problems)
    if text is not None:
        classes, found = parse_storage_map(text, str(extra["storage_map"]))
        storage_map.update(classes)
        problems += found
    vddk = None
    given = [extra.get(k) for k in ("vddk_url", "vddk_secret", "vddk_thumbprint")]
    if any(given):
        if not all(given):
            problems.append(
                Problem(
                    "--vddk-url",
                    "VDDK needs the vCenter URL, the credentials Secret and the certificate thumbprint",
                    "pass all of --vddk-url, --vddk-secret and --vddk-thumbprint",
                )
            )
        else:
            vddk = VddkSettings(
                url=str(extra["vddk_url"]),
                secret_ref=str(extra["vddk_secret"]),
                thumbprint=str(extra["vddk_thumbprint"]),
                init_image_url=extra.get("vddk_init_image_url") or None,
            )
    return (
        VmwareOptions(
            namespace=options.default_namespace,
            network_map=network_map,
            storage_map=storage_map,
            disk_url_base=extra.get("disk_url_base") or None,
            vddk=vddk,
            warm_snapshot=extra.get("warm_snapshot") or None,
            first_boot=FirstBoot(extra.get("first_boot") or FirstBoot.COMPATIBLE),
        ),
        problems,
    )


def _loader(
    parse: Callable[[bytes, str, str | None], tuple[SourceVm, ...]],
) -> Callable[[Sequence[Path], ImportOptions], ImportResult]:
    def load(files: Sequence[Path], options: ImportOptions) -> ImportResult:
        mapping_options, problems = vmware_options(options)
        vms: list[SourceVm] = []
        for path in files:
            try:
                vms += parse(path.read_bytes(), str(path), options.configuration)
            except OSError as error:
                problems.append(Problem(str(path), f"cannot be read ({error.strerror})", "check the path"))
            except (OvfError, VsphereError, PulumiStateError) as error:
                problems += error.problems
        if problems:
            return ImportResult(problems=tuple(problems))
        return map_vms(vms, mapping_options)

    return load


def _json_parser(
    parse: Callable[[Any, str], tuple[SourceVm, ...]], error_type: type[VsphereError] | type[PulumiStateError]
) -> Callable[[bytes, str, str | None], tuple[SourceVm, ...]]:
    import json

    def parse_bytes(data: bytes, file: str, configuration: str | None) -> tuple[SourceVm, ...]:
        del configuration
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise error_type(
                [Problem(file, f"not JSON ({error})", "save the output of the -json flag")]
            ) from error
        return parse(document, file)

    return parse_bytes


OVF_SOURCE = Source(
    SourceKind.OVF,
    _detects(SourceKind.OVF, (".ovf",)),
    _loader(parse_ovf),
    "OVF descriptor (DSP0243 1.x/2.0)",
)
OVA_SOURCE = Source(SourceKind.OVA, _detects(SourceKind.OVA, (".ova",)), _loader(parse_ova), "OVA archive")
VSPHERE_SOURCE = Source(
    SourceKind.VSPHERE,
    _detects(SourceKind.VSPHERE, (".json",)),
    _loader(_json_parser(parse_vsphere, VsphereError)),
    "vSphere VM JSON (govc vm.info -json, govc object.collect -json, vCenter API)",
)
PULUMI_STATE_SOURCE = Source(
    SourceKind.PULUMI_STATE,
    _detects(SourceKind.PULUMI_STATE, (".json",)),
    _loader(_json_parser(parse_pulumi_state, PulumiStateError)),
    "pulumi stack export with vsphere VirtualMachine resources",
)
