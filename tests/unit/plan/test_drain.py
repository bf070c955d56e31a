"""The drain report from live objects: each eviction strategy against each LiveMigratable state."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.facts.eviction import DRAIN_RULES, DrainOutcome, Strategy, StrategySource
from pulumi_kubevirt.plan.drain import drain_report
from pulumi_kubevirt.plan.report.drain import drain_text, drain_to_json
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

NS = "apps"
NODE = "node-a"


def vm(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "namespace": NS},
    }


def vmi(
    name: str,
    *,
    strategy: str | None,
    migratable: str | None,
    node: str = NODE,
    phase: str = "Running",
    claim: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"volumes": [{"name": "root", "dataVolume": {"name": claim}}] if claim else []}
    if strategy is not None:
        spec["evictionStrategy"] = strategy
    conditions = []
    if migratable is not None:
        conditions.append(
            {"type": "LiveMigratable", "status": migratable, "message": f"PVC {claim} is not shared"}
        )
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
        "status": {"phase": phase, "nodeName": node, "conditions": conditions},
    }


def pvc(name: str, mode: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"accessModes": [mode]},
    }


def state(*objects: dict[str, Any], kubevirt: dict[str, Any] | None = None) -> LiveState:
    return LiveState(objects={ObjectKey.of(o): o for o in objects}, kubevirt=kubevirt, cluster="test")


CASES = [
    ("LiveMigrate", "True", DrainOutcome.MIGRATES),
    ("LiveMigrate", "False", DrainOutcome.BLOCKS_DRAIN),
    ("LiveMigrate", None, DrainOutcome.BLOCKS_DRAIN),
    ("LiveMigrateIfPossible", "True", DrainOutcome.MIGRATES),
    ("LiveMigrateIfPossible", "False", DrainOutcome.SHUTS_DOWN),
    ("External", "True", DrainOutcome.WAITS_FOR_EXTERNAL),
    ("External", "False", DrainOutcome.WAITS_FOR_EXTERNAL),
    ("None", "True", DrainOutcome.SHUTS_DOWN),
    ("None", "False", DrainOutcome.SHUTS_DOWN),
]


@pytest.mark.parametrize(
    ("strategy", "condition", "outcome"),
    CASES,
    ids=[f"{s}-migratable={c}" for s, c, _ in CASES],
)
def test_each_strategy_and_migratability_has_its_outcome(
    strategy: str, condition: str | None, outcome: DrainOutcome
) -> None:
    report = drain_report(state(vm("a"), vmi("a", strategy=strategy, migratable=condition)), NODE)
    (entry,) = report.entries
    assert entry.outcome is outcome
    assert entry.strategy_source is StrategySource.VMI
    assert report.blocked is (outcome in (DrainOutcome.BLOCKS_DRAIN, DrainOutcome.WAITS_FOR_EXTERNAL))


def test_every_strategy_and_migratability_pair_has_exactly_one_cited_rule() -> None:
    pairs = [(rule.strategy, rule.migratable) for rule in DRAIN_RULES]
    assert sorted(pairs) == sorted((s, m) for s in Strategy for m in (True, False))
    for rule in DRAIN_RULES:
        assert rule.sources, rule
        assert all(
            s.repo == "kubevirt/kubevirt" and s.pinned == "v1.9.0" and s.function for s in rule.sources
        )


@pytest.mark.parametrize(
    ("cluster_strategy", "expected", "source"),
    [
        ("LiveMigrate", Strategy.LIVE_MIGRATE, StrategySource.CLUSTER),
        (None, Strategy.NONE, StrategySource.DEFAULT),
    ],
    ids=["cluster-setting", "kubevirt-default-none"],
)
def test_a_vmi_without_a_strategy_takes_the_clusters_then_the_default(
    cluster_strategy: str | None, expected: Strategy, source: StrategySource
) -> None:
    configuration = {"evictionStrategy": cluster_strategy} if cluster_strategy else {}
    kubevirt = {"spec": {"configuration": configuration}}
    report = drain_report(state(vm("a"), vmi("a", strategy=None, migratable="True"), kubevirt=kubevirt), NODE)
    (entry,) = report.entries
    assert (entry.strategy, entry.strategy_source) == (expected, source)


def test_only_vms_on_the_node_are_listed_and_the_others_counted() -> None:
    report = drain_report(
        state(
            vm("here"),
            vmi("here", strategy="LiveMigrate", migratable="True"),
            vm("there"),
            vmi("there", strategy="LiveMigrate", migratable="True", node="node-b"),
            vm("done"),
            vmi("done", strategy="LiveMigrate", migratable="True", phase="Succeeded"),
            vm("off"),
        ),
        NODE,
    )
    assert [e.vm.name for e in report.entries] == ["here"]
    assert (report.on_other_nodes, report.not_running) == (1, 2)


def test_the_text_names_the_disks_access_modes_and_why_it_cannot_migrate() -> None:
    live = state(
        vm("db"),
        vmi("db", strategy="LiveMigrate", migratable="False", claim="db-root"),
        pvc("db-root", "ReadWriteOnce"),
    )
    report = drain_report(live, NODE)
    text = drain_text(report, verbose=True)
    assert "!! VirtualMachine apps/db: blocks-drain" in text
    assert "disks: db-root (ReadWriteOnce)" in text
    assert "not live-migratable: PVC db-root is not shared" in text
    assert "source: kubevirt/kubevirt@v1.9.0 pkg/virt-api/webhooks" in text
    assert "The drain will not finish on its own" in text
    document = drain_to_json(report)
    assert document["vms"][0]["disks"] == [{"claim": "db-root", "access_modes": ["ReadWriteOnce"]}]
    assert document["blocked"] is True
