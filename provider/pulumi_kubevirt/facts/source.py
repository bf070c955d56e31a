"""Where a platform fact comes from: the upstream repository, file and function, at the version we pin.

Why: a rule about KubeVirt, CDI or Kubernetes is only as good as the code it was read from. Every row in
``facts`` carries one of these, and the audit in ``docs/platform-facts.md`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

KUBEVIRT = "kubevirt/kubevirt"
CDI = "kubevirt/containerized-data-importer"
KUBERNETES = "kubernetes/kubernetes"
THIS_PROJECT = "pulumi-kubevirt"

KUBEVIRT_VERSION = "v1.9.0"
CDI_VERSION = "v1.66.0"
KUBERNETES_VERSION = "000f2605"
"""A commit on master: no Kubernetes version is pinned; the API server in the dev cluster is v1.20.2."""

_VERSIONS = {KUBEVIRT: KUBEVIRT_VERSION, CDI: CDI_VERSION, KUBERNETES: KUBERNETES_VERSION}


@dataclass(frozen=True, slots=True)
class Upstream:
    """One place in upstream code (or a document, when no code decides it)."""

    repo: str
    file: str
    function: str = ""
    version: str = ""

    @property
    def pinned(self) -> str:
        """The version the fact was read at (the repository's pinned tag when not given)."""
        return self.version or _VERSIONS.get(self.repo, "")

    def __str__(self) -> str:
        where = f"{self.file} {self.function}".strip()
        at = f"@{self.pinned}" if self.pinned else ""
        return f"{self.repo}{at} {where}"


def kubevirt(file: str, function: str = "") -> Upstream:
    """A place in KubeVirt at the pinned version."""
    return Upstream(KUBEVIRT, file, function)


def cdi(file: str, function: str = "") -> Upstream:
    """A place in CDI at the pinned version."""
    return Upstream(CDI, file, function)


def kubernetes(file: str, function: str = "") -> Upstream:
    """A place in Kubernetes."""
    return Upstream(KUBERNETES, file, function)
