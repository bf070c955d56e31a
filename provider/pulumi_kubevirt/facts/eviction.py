"""What a node drain does to a running VMI, by eviction strategy and live-migratability (KubeVirt v1.9.0).

A drain evicts the virt-launcher pod. KubeVirt's pod-eviction webhook decides per VMI: it denies the eviction
and marks the VMI for evacuation (the evacuation controller then migrates it), denies it outright (the drain
blocks), or lets it through (the pod dies and the guest stops). One row per outcome, with its source.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pulumi_kubevirt.facts.source import Upstream, kubevirt

ADMITTER = "pkg/virt-api/webhooks/validating-webhook/admitters/pod-eviction-admitter.go"
EVACUATION = "pkg/virt-controller/watch/drain/evacuation/evacuation.go"
MIGRATIONS = "pkg/util/migrations/migrations.go"


class Strategy(enum.StrEnum):
    """``spec.evictionStrategy`` values (kubevirt.io/api core/v1 EvictionStrategy)."""

    NONE = "None"
    LIVE_MIGRATE = "LiveMigrate"
    LIVE_MIGRATE_IF_POSSIBLE = "LiveMigrateIfPossible"
    EXTERNAL = "External"


class DrainOutcome(enum.StrEnum):
    """What ``kubectl drain`` of the VMI's node does to it."""

    MIGRATES = "migrates"
    SHUTS_DOWN = "shuts-down"
    BLOCKS_DRAIN = "blocks-drain"
    WAITS_FOR_EXTERNAL = "waits-for-external"


class StrategySource(enum.StrEnum):
    """Where the effective strategy came from (``migrations.VMIEvictionStrategy``)."""

    VMI = "VMI spec"
    CLUSTER = "KubeVirt CR spec.configuration.evictionStrategy"
    DEFAULT = "KubeVirt default"


DEFAULT_STRATEGY = Strategy.NONE
"""With neither the VMI nor the KubeVirt CR setting one, the strategy is None (``defaultEvictionStrategy`` in
KubeVirt's pkg/virt-config/configuration.go defaultClusterConfig)."""

STRATEGY_ORDER_SOURCE = kubevirt(MIGRATIONS, "VMIEvictionStrategy")
"""The VMI's own strategy, else the cluster's, else the default."""

MIGRATABLE_SOURCES = (
    kubevirt(
        "staging/src/kubevirt.io/api/core/v1/types.go",
        "VirtualMachineInstance.IsMigratable (LiveMigratable is True; absent is not migratable)",
    ),
    kubevirt("pkg/virt-handler/vm.go", "calculateLiveMigrationCondition (every PVC must be ReadWriteMany)"),
)


@dataclass(frozen=True, slots=True)
class DrainRule:
    """One row: strategy and migratability in, outcome out, with why and where KubeVirt decides it."""

    strategy: Strategy
    migratable: bool
    outcome: DrainOutcome
    reason: str
    sources: tuple[Upstream, ...]


_ADMIT = kubevirt(ADMITTER, "admitLauncherPod")
_ON_EVICTION = kubevirt(MIGRATIONS, "VMIMigratableOnEviction")


_MARKED = (
    "the eviction webhook denies the eviction (429) and marks the VMI with status.evacuationNodeName; "
    "the evacuation controller then creates a migration"
)

DRAIN_RULES: tuple[DrainRule, ...] = (
    DrainRule(
        Strategy.LIVE_MIGRATE,
        True,
        DrainOutcome.MIGRATES,
        _MARKED,
        (_ADMIT, kubevirt(EVACUATION, "filterRunningNonMigratingVMIs")),
    ),
    DrainRule(
        Strategy.LIVE_MIGRATE,
        False,
        DrainOutcome.BLOCKS_DRAIN,
        "the eviction webhook denies the eviction: the VMI asks to migrate but is not live-migratable; "
        "the drain retries until the VM is stopped or made migratable",
        (_ADMIT,),
    ),
    DrainRule(
        Strategy.LIVE_MIGRATE_IF_POSSIBLE,
        True,
        DrainOutcome.MIGRATES,
        _MARKED,
        (_ADMIT, _ON_EVICTION),
    ),
    DrainRule(
        Strategy.LIVE_MIGRATE_IF_POSSIBLE,
        False,
        DrainOutcome.SHUTS_DOWN,
        "the eviction webhook lets the eviction through: the virt-launcher pod is deleted and the guest "
        "stops",
        (_ADMIT,),
    ),
    DrainRule(
        Strategy.EXTERNAL,
        True,
        DrainOutcome.WAITS_FOR_EXTERNAL,
        "the eviction webhook denies the eviction and marks the VMI; KubeVirt does not migrate it "
        "(VMIMigratableOnEviction is false for External): the drain waits for an external controller",
        (_ADMIT, _ON_EVICTION),
    ),
    DrainRule(
        Strategy.EXTERNAL,
        False,
        DrainOutcome.WAITS_FOR_EXTERNAL,
        "the eviction webhook denies the eviction and marks the VMI; KubeVirt does not migrate it "
        "(VMIMigratableOnEviction is false for External): the drain waits for an external controller",
        (_ADMIT, _ON_EVICTION),
    ),
    DrainRule(
        Strategy.NONE,
        True,
        DrainOutcome.SHUTS_DOWN,
        "no eviction strategy: the webhook lets the eviction through and the guest stops, even though it "
        "could migrate",
        (_ADMIT,),
    ),
    DrainRule(
        Strategy.NONE,
        False,
        DrainOutcome.SHUTS_DOWN,
        "no eviction strategy: the webhook lets the eviction through and the guest stops",
        (_ADMIT,),
    ),
)

_BY_KEY = {(rule.strategy, rule.migratable): rule for rule in DRAIN_RULES}


def drain_rule(strategy: Strategy, migratable: bool) -> DrainRule:
    """The row for this strategy and migratability (every pair has one)."""
    return _BY_KEY[(strategy, migratable)]
