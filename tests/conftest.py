"""Shared pytest wiring: the golden-file update flag and the real-API-server fixtures.

The control plane starts only when a test asks for ``cluster`` (directly or through ``api_client``,
``namespace`` or ``simulator``), once per session; tests under ``tests/cluster/`` get the ``cluster`` marker.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from pulumi_kubevirt_devcluster.controlplane import ControlPlane

CLUSTER_TESTS_DIR = Path(__file__).parent / "cluster"
_namespace_counter = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing (also: UPDATE_GOLDEN=1)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if CLUSTER_TESTS_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files should be rewritten rather than compared."""
    return bool(request.config.getoption("--update-golden")) or os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="session")
def cluster() -> Iterator[ControlPlane]:
    """A real kube-apiserver with KubeVirt's, CDI's and Multus' CRDs, started once per session."""
    from pulumi_kubevirt_devcluster.controlplane import ControlPlane

    plane = ControlPlane().start()
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def api_client(cluster: ControlPlane) -> Iterator[ApiClient]:
    """A ``kubernetes`` client built from the cluster's kubeconfig (bearer token, CA)."""
    client = cluster.api_client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def namespace(api_client: ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test; deleted afterwards without waiting (no namespace controller runs here)."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t{next(_namespace_counter)}-{os.getpid() % 10000}-{base}".strip("-")[:63].strip("-")
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        yield name
    finally:
        core.delete_namespace(name)


@pytest.fixture
def simulator(api_client: ApiClient) -> Iterator[Any]:
    """KubeVirt's and CDI's controllers, simulated through the real API (a ``Simulator``; imported here so
    the other fixtures work without it)."""
    from pulumi_kubevirt_devcluster.simulator import Simulator

    sim = Simulator(api_client)
    yield sim
    # If the simulator runs in the background, it offers stop() or close(): end it with the test.
    stop = getattr(sim, "stop", None) or getattr(sim, "close", None)
    if callable(stop):
        stop()
