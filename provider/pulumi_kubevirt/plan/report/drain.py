"""A ``DrainReport`` as text (for ``kvplan plan --drain NODE``) and as JSON; decides nothing."""

from __future__ import annotations

from typing import Any

from pulumi_kubevirt.facts.eviction import MIGRATABLE_SOURCES, STRATEGY_ORDER_SOURCE, DrainOutcome
from pulumi_kubevirt.plan.drain import DrainReport

DRAIN_SCHEMA = "pulumi-kubevirt/drain"

_MARKS = {
    DrainOutcome.MIGRATES: "->",
    DrainOutcome.SHUTS_DOWN: "x ",
    DrainOutcome.BLOCKS_DRAIN: "!!",
    DrainOutcome.WAITS_FOR_EXTERNAL: "..",
}


def drain_text(report: DrainReport, verbose: bool = False) -> str:
    """One block per VM on the node: outcome, strategy and where it came from, migratability, claims."""
    lines = [f"Drain of node {report.node}" + (f" on {report.cluster}" if report.cluster else "") + ":"]
    if not report.entries:
        lines.append("  none of the stack's VMs runs on this node")
    for entry in report.entries:
        lines.append(f"  {_MARKS[entry.outcome]} {entry.vm.display()}: {entry.outcome}")
        lines.append(f"       eviction strategy {entry.strategy} ({entry.strategy_source})")
        able = "live-migratable" if entry.migratable else f"not live-migratable: {entry.migratable_reason}"
        lines.append(f"       {able}")
        if entry.claims:
            lines.append(f"       disks: {', '.join(c.display() for c in entry.claims)}")
        lines.append(f"       {entry.rule.reason}")
        if verbose:
            lines.append(f"       source: {'; '.join(map(str, entry.rule.sources))}")
    counts = {outcome: sum(1 for e in report.entries if e.outcome is outcome) for outcome in DrainOutcome}
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
    lines.append(
        f"Drain summary: {summary or 'nothing on the node'}; "
        f"{report.on_other_nodes} on other nodes, {report.not_running} not running."
    )
    if report.blocked:
        lines.append("The drain will not finish on its own: see the VMs marked !! and .. above.")
    if verbose:
        lines.append(f"Effective strategy: {STRATEGY_ORDER_SOURCE}.")
        lines.append(f"Live-migratable: {'; '.join(map(str, MIGRATABLE_SOURCES))}.")
    return "\n".join(lines) + "\n"


def drain_to_json(report: DrainReport) -> dict[str, Any]:
    """The report as a JSON-ready dict, entries in the report's (sorted) order."""
    return {
        "schema": DRAIN_SCHEMA,
        "node": report.node,
        "cluster": report.cluster,
        "blocked": report.blocked,
        "on_other_nodes": report.on_other_nodes,
        "not_running": report.not_running,
        "vms": [
            {
                "object": {"namespace": e.vm.namespace, "name": e.vm.name},
                "outcome": str(e.outcome),
                "eviction_strategy": str(e.strategy),
                "strategy_source": str(e.strategy_source),
                "live_migratable": e.migratable,
                "why": e.migratable_reason,
                "disks": [{"claim": c.name, "access_modes": list(c.access_modes)} for c in e.claims],
                "reason": e.rule.reason,
                "sources": [str(s) for s in e.rule.sources],
            }
            for e in report.entries
        ],
    }
