"""Bootstrapping a fresh kube-apiserver: wait until it serves, create the CRDs, wait until they are
Established, then create the instancetypes, the KubeVirt CR and the StorageClasses, several at a time.

urllib3 directly (not the ``kubernetes`` client): cheap to import, and its pool is thread-safe.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import urllib3

from pulumi_kubevirt_devcluster.apis import KUBEVIRT_CR, KUBEVIRT_STATUS, Crd
from pulumi_kubevirt_devcluster.errors import ControlPlaneError

READY_TIMEOUT_SECONDS = 60.0
ESTABLISHED_TIMEOUT_SECONDS = 60.0
TRANSIENT_RETRY_SECONDS = 15.0
PARALLEL_REQUESTS = 6
CRD_COLLECTION = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


class Watched(Protocol):
    """The processes being waited on: a wait gives up, with their logs, as soon as one has died."""

    def check_alive(self) -> None: ...

    def failure(self, what: str) -> ControlPlaneError: ...


class Api:
    """Bearer-token JSON requests against the server being bootstrapped."""

    def __init__(self, server: str, token: str, ca_path: Path) -> None:
        self.server = server
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=PARALLEL_REQUESTS + 2, cert_reqs="CERT_REQUIRED", ca_certs=str(ca_path)
        )
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = content_type
        response = self._pool.request(
            method,
            self.server + path,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(total=30.0),
            retries=False,
        )
        data = response.data
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return response.status, parsed

    def create(
        self, path: str, manifest: Mapping[str, Any] | bytes, retry_not_found_for: float = 0.0
    ) -> None:
        """POST, retried while the server is still warming up (safe: AlreadyExists counts as done).

        404 is retried only for ``retry_not_found_for`` seconds (a just-established CRD being wired up);
        429 and 5xx for ``TRANSIENT_RETRY_SECONDS`` (a create racing the end of the server's bootstrap).
        """
        body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        started = time.monotonic()
        while True:
            status, answer = self.request("POST", path, body)
            if status in (200, 201, 409):
                return
            waited = time.monotonic() - started
            retry = (status == 404 and waited < retry_not_found_for) or (
                (status == 429 or status >= 500) and waited < TRANSIENT_RETRY_SECONDS
            )
            if not retry:
                message = answer.get("message") if isinstance(answer, dict) else answer
                raise ControlPlaneError(
                    f"Bootstrapping the control plane failed.\nPOST {path} answered {status}: {message}"
                )
            time.sleep(0.05)


def wait_until_ok(api: Api, path: str, what: str, watched: Watched) -> None:
    """Poll ``GET path`` until 200; ``what`` completes "kube-apiserver did not ..." in the error."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        watched.check_alive()
        with contextlib.suppress(urllib3.exceptions.HTTPError):
            status, _ = api.request("GET", path)
            if status == 200:
                return
        if time.monotonic() > deadline:
            raise watched.failure(f"kube-apiserver did not {what} within {READY_TIMEOUT_SECONDS:.0f} seconds")
        time.sleep(0.05)


def wait_established(api: Api, crds: Sequence[Crd], watched: Watched) -> None:
    """Poll discovery (small documents) until it serves every CRD, then confirm ``Established`` by LIST.

    The discovery controller publishes a CRD's resources only once the CRD is Established
    (apiextensions-apiserver ``customresource_discovery_controller.go``); polling full CRDs instead costs
    megabytes per round while the server is busy rebuilding its OpenAPI document.
    """
    deadline = time.monotonic() + ESTABLISHED_TIMEOUT_SECONDS
    expected: dict[str, set[str]] = {}
    for crd in crds:
        for version in crd.served_versions:
            expected.setdefault(f"/apis/{crd.group}/{version}", set()).add(crd.plural)
    pending_names = {crd.name for crd in crds}
    while True:
        for path in sorted(expected):
            status, document = api.request("GET", path)
            if status == 200 and isinstance(document, dict):
                expected[path] -= {resource.get("name") for resource in document.get("resources", [])}
                if not expected[path]:
                    del expected[path]
        if not expected:
            _, listing = api.request("GET", CRD_COLLECTION)
            for item in listing.get("items", []) if isinstance(listing, dict) else []:
                conditions = (item.get("status") or {}).get("conditions") or []
                if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                    pending_names.discard(item["metadata"]["name"])
            if not pending_names:
                return
        watched.check_alive()
        if time.monotonic() > deadline:
            missing = sorted(pending_names) if not expected else sorted(expected)
            raise watched.failure(f"CRDs not Established in time: {', '.join(missing)}")
        time.sleep(0.05)


def install_kubevirt_cr(api: Api) -> None:
    """The ``kubevirt`` namespace and a KubeVirt CR whose status says it is deployed at our pinned version."""
    api.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubevirt"}}
    )
    api.create("/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts", KUBEVIRT_CR, retry_not_found_for=10.0)
    status, answer = api.request(
        "PATCH",
        "/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt/status",
        json.dumps(KUBEVIRT_STATUS).encode(),
        content_type="application/merge-patch+json",
    )
    if status != 200:
        raise ControlPlaneError(
            f"Bootstrapping the control plane failed.\nSetting the KubeVirt CR status: {answer}"
        )
