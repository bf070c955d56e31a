"""The plan as data: what each object needs (action), what that does to a running guest (impact), and why.

Renderers only format these values; the planner and the policy table decide. Modelled on Terraform's
``internal/plans`` (a closed action set, ``before``/``after`` kept with the reason apart from the decision).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.plan.migration import MigrationPolicies
from pulumi_kubevirt.plan.state import ObjectKey

__all__ = [
    "Action",
    "ChangeOp",
    "DriftFinding",
    "DriftKind",
    "FieldChange",
    "Impact",
    "PendingRestart",
    "Plan",
    "PlanError",
    "PlanSummary",
    "ResourcePlan",
    "max_impact",
]


class Action(enum.StrEnum):
    """What the apply will do to one object."""

    NO_OP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


def max_impact(impacts: Iterable[Impact]) -> Impact:
    """The most severe impact, ``none`` for nothing."""
    return max(impacts, default=Impact.NONE)


class ChangeOp(enum.StrEnum):
    """The shape of one field change (kopf's ``(op, path, old, new)``)."""

    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"


class DriftKind(enum.StrEnum):
    """Why live differs from desired."""

    MODIFIED = "modified"
    DELETED = "deleted"
    PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One differing field, with the policy row that classified it.

    ``before``/``after`` are the live and desired values (``None`` when absent). When ``secret`` is true, they
    are already redacted by the planner and renderers print only that the value changed.
    """

    path: str
    before: Any
    after: Any
    impact: Impact
    rule: str
    reason: str
    source: str
    secret: bool = False
    op: ChangeOp = ChangeOp.CHANGE
    forces_replacement: bool = False


@dataclass(frozen=True, slots=True)
class PlanError:
    """A change the API server would reject (shrinking a disk, an immutable field), with how to fix it."""

    path: str
    message: str
    fix: str
    rule: str
    title: str = ""
    key: ObjectKey | None = None


@dataclass(frozen=True, slots=True)
class PendingRestart:
    """A restart an earlier apply left behind: the live VM's ``RestartRequired`` condition.

    ``message`` is KubeVirt's own (e.g. "a non-live-updatable field was changed in the template spec");
    ``since`` its ``lastTransitionTime`` ("" when absent). The staged configuration reaches the guest only
    when the VM restarts.
    """

    message: str
    since: str = ""


@dataclass(frozen=True, slots=True)
class ResourcePlan:
    """The plan for one object: action, the most severe impact of its changes, and each change.

    ``unchanged_fields`` is counted only for objects that change (it is shown as "N unchanged fields hidden").
    """

    key: ObjectKey
    action: Action
    impact: Impact
    changes: tuple[FieldChange, ...] = ()
    errors: tuple[PlanError, ...] = ()
    notes: tuple[str, ...] = ()
    unchanged_fields: int = 0
    managed: bool = True
    pending_restart: PendingRestart | None = None

    @property
    def has_changes(self) -> bool:
        return self.action is not Action.NO_OP


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """Counts per headline, in the order a reviewer reads them (worst first)."""

    data_loss: int = 0
    replaced: int = 0
    restarts: int = 0
    live_migrations: int = 0
    live_updates: int = 0
    no_effect: int = 0
    updated: int = 0
    created: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: int = 0

    def headlines(self) -> tuple[tuple[str, int], ...]:
        """Non-zero ``(headline id, count)`` pairs, worst first; ids are the field names."""
        order = (
            "errors",
            "data_loss",
            "replaced",
            "restarts",
            "live_migrations",
            "live_updates",
            "no_effect",
            "updated",
            "created",
            "deleted",
        )
        return tuple((name, getattr(self, name)) for name in order if getattr(self, name))


@dataclass(frozen=True, slots=True)
class Plan:
    """Every object's plan, the cluster facts it was made with, and plan-wide errors.

    ``facts`` is a sorted tuple of ``(name, value)`` pairs for display (e.g. ``("rollout", "LiveUpdate")``).
    """

    resources: tuple[ResourcePlan, ...]
    cluster: str = ""
    stack: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    errors: tuple[PlanError, ...] = ()
    migration_policies: MigrationPolicies = field(default_factory=MigrationPolicies)

    def fact(self, name: str, default: str = "") -> str:
        for key, value in self.facts:
            if key == name:
                return value
        return default

    @property
    def all_errors(self) -> tuple[PlanError, ...]:
        """Plan-wide errors, then each resource's, in resource order."""
        return self.errors + tuple(err for res in self.resources for err in res.errors)

    @property
    def has_changes(self) -> bool:
        return any(res.has_changes for res in self.resources)

    @property
    def pending_restarts(self) -> tuple[ResourcePlan, ...]:
        """The VMs that still run an older configuration than the one applied (``RestartRequired``)."""
        return tuple(res for res in self.resources if res.pending_restart is not None)

    @property
    def max_impact(self) -> Impact:
        return max_impact(res.impact for res in self.resources)

    def summary(self) -> PlanSummary:
        counts = dict.fromkeys(PlanSummary.__slots__, 0)
        for res in self.resources:
            counts[_headline(res)] += 1
        counts["errors"] = len(self.all_errors)
        return PlanSummary(**counts)


def _headline(res: ResourcePlan) -> str:
    if res.action is Action.NO_OP:
        return "unchanged"
    if res.impact is Impact.DESTROYS_DATA:
        return "data_loss"
    if res.action is Action.CREATE:
        # creating a restore request restarts its VM (``plan.snapshots``)
        return "restarts" if res.impact is Impact.RESTART else "created"
    if res.action is Action.DELETE:
        return "deleted"
    if res.action is Action.REPLACE or res.impact is Impact.REPLACE:
        return "replaced"
    return {
        Impact.RESTART: "restarts",
        Impact.LIVE_MIGRATION: "live_migrations",
        Impact.LIVE: "live_updates",
        Impact.NO_EFFECT: "no_effect",
    }.get(res.impact, "updated")


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """A field we own whose live value differs from desired, and who changed it when (from ``managedFields``).

    ``manager``/``operation``/``time`` are empty when unknown (still owned by our own field manager).
    ``desired``/``live`` are redacted when ``secret`` is true.
    """

    key: ObjectKey
    kind: DriftKind
    path: str = ""
    desired: Any = None
    live: Any = None
    manager: str = ""
    operation: str = ""
    time: str = ""
    secret: bool = False
    reason: str = field(default="")
