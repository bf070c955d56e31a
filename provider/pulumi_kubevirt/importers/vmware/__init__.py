"""VMware sources for ``kvplan import``: OVF/OVA, vSphere VM JSON and pulumi-vsphere state.

Each ``load_*`` reads one source and returns an :class:`ImportResult`: fleet config, a record for every
source field, and every problem (never an exception for a user's input). ``detect`` tells the kinds apart.
Parsing (``ovf``, ``vsphere``, ``pulumi_vsphere``) and mapping (``mapping``) are separate: the parsers say
what VMware says, the mapping decides what KubeVirt gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.importers.report import ImportResult, SourceKind
from pulumi_kubevirt.importers.vmware.mapping import (
    MAPPING,
    FirstBoot,
    VddkSettings,
    VmwareOptions,
    map_vms,
    mapping_table_markdown,
)
from pulumi_kubevirt.importers.vmware.maps import NetworkTarget, parse_network_map, parse_storage_map
from pulumi_kubevirt.importers.vmware.model import SourceVm
from pulumi_kubevirt.importers.vmware.ovf import OvfError, parse_ova, parse_ovf
from pulumi_kubevirt.importers.vmware.pulumi_vsphere import PulumiStateError, parse_pulumi_state, vm_resources
from pulumi_kubevirt.importers.vmware.vsphere import VsphereError, parse_vsphere, vm_configs


def _result(parse: Callable[[], tuple[SourceVm, ...]], options: VmwareOptions) -> ImportResult:
    try:
        vms = parse()
    except (OvfError, VsphereError, PulumiStateError) as error:
        return ImportResult(problems=error.problems)
    return map_vms(vms, options)


def _json(data: bytes, file: str) -> tuple[Any, tuple[Problem, ...]]:
    try:
        return json.loads(data), ()
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, (Problem(file, f"not JSON ({error})", "save the output of the -json flag"),)


def load_ovf(
    data: bytes, file: str, options: VmwareOptions, configuration: str | None = None
) -> ImportResult:
    return _result(lambda: parse_ovf(data, file, configuration), options)


def load_ova(
    data: bytes, file: str, options: VmwareOptions, configuration: str | None = None
) -> ImportResult:
    return _result(lambda: parse_ova(data, file, configuration), options)


def load_vsphere_json(data: bytes, file: str, options: VmwareOptions) -> ImportResult:
    document, problems = _json(data, file)
    if problems:
        return ImportResult(problems=problems)
    return _result(lambda: parse_vsphere(document, file), options)


def load_pulumi_state(data: bytes, file: str, options: VmwareOptions) -> ImportResult:
    document, problems = _json(data, file)
    if problems:
        return ImportResult(problems=problems)
    return _result(lambda: parse_pulumi_state(document, file), options)


def detect(data: bytes, file: str) -> SourceKind | None:
    """Which VMware source ``data`` is, from its content (a file name can lie); ``None`` when none."""
    head = data[:512].lstrip()
    if head.startswith(b"<"):
        return SourceKind.OVF
    if len(data) > 262 and data[257:262] == b"ustar":
        return SourceKind.OVA
    if not head.startswith((b"{", b"[")):
        return None
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if vm_resources(document):
        return SourceKind.PULUMI_STATE
    if vm_configs(document, file):
        return SourceKind.VSPHERE
    return None


__all__ = [
    "MAPPING",
    "FirstBoot",
    "NetworkTarget",
    "VddkSettings",
    "VmwareOptions",
    "detect",
    "load_ova",
    "load_ovf",
    "load_pulumi_state",
    "load_vsphere_json",
    "mapping_table_markdown",
    "parse_network_map",
    "parse_storage_map",
]
