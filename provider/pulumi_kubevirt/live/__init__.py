"""The live reader: the plan engine's one I/O edge. Reads a stack's objects with a fixed number of LISTs."""

from __future__ import annotations

from pulumi_kubevirt.live.kubeconfig import (
    KubeApiClient,
    KubeConfigError,
    cluster_display_name,
    load_kube_config,
    resolve_config_source,
)
from pulumi_kubevirt.live.reader import LiveRead, collector_paused, read_live, read_live_with_stats
from pulumi_kubevirt.live.transport import LiveReadError, ReadStats, RequestRecord

__all__ = [
    "KubeApiClient",
    "KubeConfigError",
    "LiveRead",
    "LiveReadError",
    "ReadStats",
    "RequestRecord",
    "cluster_display_name",
    "collector_paused",
    "load_kube_config",
    "read_live",
    "read_live_with_stats",
    "resolve_config_source",
]
