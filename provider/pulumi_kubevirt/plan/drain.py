"""What draining one node does to each of the stack's running VMs, read from live state.

Why: before maintenance a vSphere administrator asks which VMs move, which stop and which hold the node. The
answer depends on the VMI's effective eviction strategy and its LiveMigratable condition (which reflects the
storage access modes); the rows are in :mod:`pulumi_kubevirt.facts.eviction`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core.paths import value_at
from pulumi_kubevirt.facts.eviction import (
    DEFAULT_STRATEGY,
    DrainOutcome,
    DrainRule,
    Strategy,
    StrategySource,
    drain_rule,
)
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

FINAL_PHASES = frozenset({"Succeeded", "Failed"})
KNOWN_STRATEGIES = frozenset(s.value for s in Strategy)


@dataclass(frozen=True, slots=True)
class Claim:
    """A PVC the VMI mounts and its access modes (``?`` when the claim was not read)."""

    name: str
    access_modes: tuple[str, ...]

    def display(self) -> str:
        return f"{self.name} ({','.join(self.access_modes) or '?'})"


@dataclass(frozen=True, slots=True)
class DrainEntry:
    """One VM on the drained node: its effective strategy, whether it can migrate and why, the outcome."""

    vm: ObjectKey
    strategy: Strategy
    strategy_source: StrategySource
    migratable: bool
    migratable_reason: str
    claims: tuple[Claim, ...]
    rule: DrainRule

    @property
    def outcome(self) -> DrainOutcome:
        return self.rule.outcome


@dataclass(frozen=True, slots=True)
class DrainReport:
    """The drain of ``node``: one entry per stack VM running there; counts of the others."""

    node: str
    cluster: str
    entries: tuple[DrainEntry, ...]
    on_other_nodes: int
    not_running: int

    @property
    def blocked(self) -> bool:
        """Whether the drain cannot finish on its own (a VM blocks it or waits for another controller)."""
        return any(
            e.outcome in (DrainOutcome.BLOCKS_DRAIN, DrainOutcome.WAITS_FOR_EXTERNAL) for e in self.entries
        )


def effective_strategy(
    vmi: Mapping[str, Any], kubevirt: Mapping[str, Any] | None
) -> tuple[Strategy, StrategySource]:
    """The VMI's own strategy, else the cluster's, else KubeVirt's default (``VMIEvictionStrategy``)."""
    own = value_at(vmi, "spec", "evictionStrategy")
    if own in KNOWN_STRATEGIES:
        return Strategy(own), StrategySource.VMI
    cluster = value_at(kubevirt, "spec", "configuration", "evictionStrategy")
    if cluster in KNOWN_STRATEGIES:
        return Strategy(cluster), StrategySource.CLUSTER
    return DEFAULT_STRATEGY, StrategySource.DEFAULT


def live_migratable(vmi: Mapping[str, Any]) -> tuple[bool, str]:
    """``IsMigratable``: the LiveMigratable condition is True; otherwise its message says why not."""
    for condition in value_at(vmi, "status", "conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == "LiveMigratable":
            if condition.get("status") == "True":
                return True, "LiveMigratable"
            detail = condition.get("message") or condition.get("reason") or "LiveMigratable is False"
            return False, str(detail)
    return False, "no LiveMigratable condition reported (KubeVirt treats that as not migratable)"


def _claims(vmi: Mapping[str, Any], live: LiveState, namespace: str) -> tuple[Claim, ...]:
    claims = []
    for volume in value_at(vmi, "spec", "volumes") or ():
        name = value_at(volume, "persistentVolumeClaim", "claimName") or value_at(
            volume, "dataVolume", "name"
        )
        if not name:
            continue
        pvc = live.objects.get(ObjectKey("", "PersistentVolumeClaim", namespace, str(name)))
        modes = value_at(pvc, "status", "accessModes") or value_at(pvc, "spec", "accessModes") or ()
        claims.append(Claim(str(name), tuple(str(m) for m in modes)))
    return tuple(sorted(claims, key=lambda c: c.name))


def drain_report(live: LiveState, node: str) -> DrainReport:
    """What draining ``node`` does to each of the stack's VMs whose VMI runs there."""
    entries = []
    others = stopped = 0
    for key in sorted(live.objects):
        if key.group != "kubevirt.io" or key.kind != "VirtualMachine":
            continue
        vmi = live.objects.get(ObjectKey("kubevirt.io", "VirtualMachineInstance", key.namespace, key.name))
        if (
            vmi is None
            or value_at(vmi, "status", "phase") in FINAL_PHASES
            or not value_at(vmi, "status", "nodeName")
        ):
            stopped += 1
            continue
        if value_at(vmi, "status", "nodeName") != node:
            others += 1
            continue
        strategy, source = effective_strategy(vmi, live.kubevirt)
        migratable, why = live_migratable(vmi)
        entries.append(
            DrainEntry(
                vm=key,
                strategy=strategy,
                strategy_source=source,
                migratable=migratable,
                migratable_reason=why,
                claims=_claims(vmi, live, key.namespace),
                rule=drain_rule(strategy, migratable),
            )
        )
    return DrainReport(node, live.cluster, tuple(entries), others, stopped)
