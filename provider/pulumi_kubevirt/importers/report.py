"""The import report: every source field, what it became, and what was dropped or only approximated, with why.

One model for every source (Kubernetes, OVF/OVA, vSphere JSON, pulumi-vsphere state), so reviewers read one
format. ``path`` is the field in the source in the one path syntax (:mod:`pulumi_kubevirt.core.paths`);
``target`` is where it went in the stack config (``fleet.vms.web.cpu.sockets``), empty when it went nowhere.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.core.errors import Problem


class FieldStatus(enum.StrEnum):
    """What became of one source field."""

    MAPPED = "mapped"
    """Carried over with the same meaning and value (quantities compared by value)."""
    RENAMED = "renamed"
    """Carried over under another name or unit (a port group to a Network, MiB to a quantity)."""
    WARNED = "warned"
    """Carried over approximately, or with something the user must check (the message says what)."""
    DROPPED = "dropped"
    """Not carried over: platform-written, equal to a default, or not representable (the message says why)."""


class SourceKind(enum.StrEnum):
    """Where VMs are imported from (``kvplan import --from``)."""

    KUBERNETES = "kubernetes"
    OVF = "ovf"
    OVA = "ova"
    VSPHERE = "vsphere"
    PULUMI_STATE = "pulumi-state"


@dataclass(frozen=True, slots=True, order=True)
class FieldRecord:
    """One row of the report."""

    source: str
    path: str
    status: FieldStatus
    target: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class SecretReference:
    """A secret the import did not copy: the config key that must hold it and how to set it (value elided)."""

    config_key: str
    description: str

    def command(self) -> str:
        """The ``pulumi config set --secret`` line to run, with the value left for the user."""
        return f"pulumi config set --secret {self.config_key} -- '<value>'"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What sources became: fleet config (the ``kubevirt:fleet`` value), the report, the secrets to set.

    ``problems`` are errors (a source KubeVirt itself would reject, an unmapped network): with any of them the
    config must not be written.
    """

    fleet: Mapping[str, Any] = field(default_factory=dict)
    records: tuple[FieldRecord, ...] = ()
    secrets: tuple[SecretReference, ...] = ()
    problems: tuple[Problem, ...] = ()
