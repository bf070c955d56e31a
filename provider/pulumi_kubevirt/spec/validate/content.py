"""Cloud-init content that the API accepts but that fails at boot: caught at preview instead.

Rows ``ci-user-data-yaml`` and ``ci-network-config`` of the rule table. Cloud-init reads ``#cloud-config``
user data with ``util.load_yaml`` (a YAML mapping, or nothing) and network data with
``network_state.parse_net_config_data`` (version 1 or 2); anything else is logged and skipped, so the VM boots
unconfigured. The content may hold secrets: a problem names the line and column, never the text.
Values that are not plain strings (Pulumi secret Outputs, unknown at preview) are checked when they are known:
the component layer calls :func:`user_data_problems` / :func:`network_data_problems` on the resolved value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec.model import CloudInit

CLOUD_CONFIG_HEADER = "#cloud-config"
SECURE_PLACEHOLDER = "kvplan-redacted-secure-config"
"""What a program reads for a ``secure:`` config value when kvplan runs it without the Pulumi CLI (which alone
can decrypt it): not the content, so the content checks skip it."""
# cloudinit/net/network_state.py NetworkStateInterpreter.command_handlers, split by config version.
NETWORK_V1_TYPES = frozenset(
    {"physical", "bond", "bridge", "vlan", "nameserver", "route", "loopback", "infiniband"}
)
NETWORK_V2_KEYS = frozenset({"ethernets", "bonds", "bridges", "vlans", "wifis"})
NETWORK_V2_META = frozenset({"version", "renderer"})
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: every VM's user data is parsed, so a 5,000-VM fleet parses 5,000
documents. A document it refuses is parsed again by the pure-Python loader, whose reason and position are
the ones the messages quote."""


def _yaml_error(error: yaml.YAMLError, path: str, what: str) -> Problem:
    """Line and column from the YAML mark (1-based, as editors count), the parser's reason without quotes."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    reason = getattr(error, "problem", None)
    # The parser's reason can quote the offending text (an alias or character): drop every quoted part.
    why = f" ({_QUOTED.sub('…', str(reason))})" if reason else ""
    return Problem(
        path,
        f"{what} is not valid YAML{where}{why}; cloud-init would skip it at boot",
        "fix the indentation or quoting there (YAML does not allow tabs for indentation)",
    )


def _load(text: str, path: str, what: str) -> tuple[Any, list[Problem]]:
    try:
        return yaml.load(text, Loader=_FAST_LOADER), []
    except yaml.YAMLError:
        pass
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as error:
        return None, [_yaml_error(error, path, what)]


def user_data_problems(value: object, path: str) -> list[Problem]:
    """``#cloud-config`` user data must be a YAML mapping; scripts and other formats are not checked."""
    if not isinstance(value, str) or not value.lstrip().startswith(CLOUD_CONFIG_HEADER):
        return []  # scripts, MIME multipart, and the placeholder of an undecrypted secret are not checked
    loaded, problems = _load(value, path, "#cloud-config user data")
    if problems or loaded is None or isinstance(loaded, Mapping):
        return problems
    return [
        Problem(
            path,
            f"#cloud-config user data is a YAML {_kind(loaded)}, not a mapping of cloud-config keys; "
            "cloud-init would skip it at boot",
            "write keys at the top level, such as users:, packages: or runcmd:",
        )
    ]


def network_data_problems(value: object, path: str) -> list[Problem]:
    """Network data must be network config version 1 (a ``config`` list) or version 2 (netplan-style)."""
    if not isinstance(value, str) or value == SECURE_PLACEHOLDER:
        return []
    loaded, problems = _load(value, path, "network data")
    if problems:
        return problems
    if isinstance(loaded, Mapping) and set(loaded) == {"network"}:
        loaded = loaded["network"]
    if not isinstance(loaded, Mapping):
        return [
            Problem(
                path,
                f"network data is a YAML {_kind(loaded)}, not network config version 1 or 2",
                "write a mapping starting with version: 2 (or version: 1 with a config list)",
            )
        ]
    version = loaded.get("version")
    if version == 1:
        return _v1_problems(loaded, path, _lines(value))
    if version == 2:
        return _v2_problems(loaded, path, _lines(value))
    return [
        Problem(
            path,
            "network data has no version 1 or 2, so cloud-init creates no network state from it",
            "add version: 2 (netplan-style ethernets:) or version: 1 (a config: list)",
        )
    ]


def _lines(text: str) -> dict[str, int]:
    """1-based line of each top-level key (and of each ``config`` item, as ``config[i]``) of a mapping."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if isinstance(root, yaml.MappingNode) and len(root.value) == 1 and root.value[0][0].value == "network":
        root = root.value[0][1]
    lines: dict[str, int] = {}
    for key_node, value_node in root.value if isinstance(root, yaml.MappingNode) else ():
        lines[str(key_node.value)] = key_node.start_mark.line + 1
        if key_node.value == "config" and isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                lines[f"config[{index}]"] = item.start_mark.line + 1
    return lines


def _v1_problems(config: Mapping[str, Any], path: str, lines: Mapping[str, int]) -> list[Problem]:
    entries = config.get("config")
    if not isinstance(entries, list):
        return [
            Problem(
                path, "network config version 1 has no config list", "add config: with one entry per device"
            )
        ]
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        kind = entry.get("type") if isinstance(entry, Mapping) else None
        if kind not in NETWORK_V1_TYPES:
            line = lines.get(f"config[{index}]")
            where = f" (line {line})" if line else ""
            problems.append(
                Problem(
                    path,
                    f"entry {index + 1} of the version 1 config list{where} has no type cloud-init knows",
                    f"give each entry a type: {', '.join(sorted(NETWORK_V1_TYPES))}",
                )
            )
    return problems


def _v2_problems(config: Mapping[str, Any], path: str, lines: Mapping[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    for key in sorted((str(k) for k in config), key=lambda k: lines.get(k, 0)):
        line = lines.get(key)
        where = f" at line {line}" if line else ""
        if key in NETWORK_V2_META:
            continue
        if key not in NETWORK_V2_KEYS:
            problems.append(
                Problem(
                    path,
                    f"network config version 2 has a top-level section{where} cloud-init has no handler for",
                    f"use only {', '.join(sorted(NETWORK_V2_KEYS | NETWORK_V2_META))} at the top level",
                )
            )
        elif not isinstance(config[key], Mapping):
            problems.append(
                Problem(
                    path,
                    f"the {key} section{where} is not a mapping of device names",
                    f"write {key}: with one entry per device, like eth0:",
                )
            )
    return problems


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return "scalar" if value is not None else "empty document"


def cloud_init_content_problems(cloud_init: CloudInit, path: str) -> list[Problem]:
    """The plain-string values; secret Outputs are opaque here and checked when they resolve."""
    return user_data_problems(cloud_init.user_data, paths.join(path, "user_data")) + network_data_problems(
        cloud_init.network_data, paths.join(path, "network_data")
    )
