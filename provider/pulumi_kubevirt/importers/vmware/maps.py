"""The ``--network-map`` and ``--storage-map`` files: which Network or storage class each VMware name gets.

Network map (YAML or JSON)::

    networks:
      "VM Network": pod                  # the pod network (masquerade)
      "Prod VLAN 20":                    # a Multus Network of the stack
        network: vlan20
        bridge: br-vlan20                # optional: define it here (any fleet network field)
        vlan: 20

Storage map::

    datastores:
      datastore1: fast-ssd
      "*": standard                      # any datastore not named (and OVF/OVA disks)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from pulumi_kubevirt.core.errors import Problem

POD_NETWORK = "pod"
ANY_DATASTORE = "*"


@dataclass(frozen=True, slots=True)
class NetworkTarget:
    """A VMware network's place in the stack: ``network`` ``None`` is the pod network."""

    network: str | None
    definition: Mapping[str, Any] = field(default_factory=dict)
    """Fleet network config (``bridge``, ``vlan``...) when the map defines the Network too."""


def _load(text: str, file: str, key: str, problems: list[Problem]) -> Mapping[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problems.append(Problem(file, f"not YAML or JSON ({error})", f"write a mapping under {key}:"))
        return {}
    section = document.get(key) if isinstance(document, Mapping) else None
    if not isinstance(section, Mapping):
        problems.append(Problem(file, f"no {key}: mapping found", f"write {key}: {{NAME: TARGET}}"))
        return {}
    return section


def parse_network_map(text: str, file: str) -> tuple[dict[str, NetworkTarget], list[Problem]]:
    problems: list[Problem] = []
    targets: dict[str, NetworkTarget] = {}
    for name, value in _load(text, file, "networks", problems).items():
        where = f"{file}:networks[{name!r}]"
        if value == POD_NETWORK:
            targets[str(name)] = NetworkTarget(None)
        elif isinstance(value, str):
            targets[str(name)] = NetworkTarget(value)
        elif isinstance(value, Mapping) and isinstance(value.get("network"), str):
            definition = {k: v for k, v in value.items() if k != "network"}
            targets[str(name)] = NetworkTarget(value["network"], definition)
        else:
            problems.append(
                Problem(
                    where,
                    f"{value!r} is not a network target",
                    "write pod, a Network name, or {network: NAME}",
                )
            )
    return targets, problems


def parse_storage_map(text: str, file: str) -> tuple[dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    classes: dict[str, str] = {}
    for name, value in _load(text, file, "datastores", problems).items():
        if isinstance(value, str) and value:
            classes[str(name)] = value
        else:
            problems.append(
                Problem(
                    f"{file}:datastores[{name!r}]", f"{value!r} is not a storage class name", "write a name"
                )
            )
    return classes, problems
