"""A local development cluster: a real kube-apiserver with KubeVirt's APIs (``controlplane``) and a
simulator of KubeVirt's and CDI's controllers (``simulator``). ``python -m pulumi_kubevirt_devcluster up``
starts one."""

from __future__ import annotations

from pulumi_kubevirt_devcluster.controlplane import (
    Binaries,
    ControlPlane,
    ControlPlaneError,
    find_or_build_binaries,
)

__all__ = ["Binaries", "ControlPlane", "ControlPlaneError", "find_or_build_binaries"]
