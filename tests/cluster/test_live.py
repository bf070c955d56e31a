"""The live reader against the real kube-apiserver: what it reads, what it costs in requests, how it fails.

Misbehaving networks are a small local HTTP proxy in front of the real server, so the client stays real.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s_client

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.core.labels import stack_labels
from pulumi_kubevirt.live import (
    KubeConfigError,
    LiveReadError,
    load_kube_config,
    read_live,
    read_live_with_stats,
)
from pulumi_kubevirt.live.kinds import object_path
from pulumi_kubevirt.plan.state import ObjectKey
from pulumi_kubevirt.spec import (
    CloudInit,
    Cpu,
    Memory,
    RegistrySource,
    RootDisk,
    ServiceExposure,
    ServicePort,
    StackContext,
    VirtualMachineArgs,
)
from pulumi_kubevirt_devcluster.controlplane import ControlPlane

PROJECT = "live-test"
STACK = "dev"
PULUMI_MANAGER = "pulumi-kubernetes"
USER_DATA = "#cloud-config\npassword: s3cr3t-never-shown\n"
CLUSTER_LEVEL_LISTS = 3
"""Namespaces, KubeVirt CRs and StorageClasses: listed once per read."""
KINDS_PER_NAMESPACE = 7
"""VM, VMI, DataVolume, PVC, NAD, Secret, Service."""


def vm_manifests(
    namespace: str, name: str, project: str = PROJECT, stack: str = STACK
) -> list[dict[str, Any]]:
    args = VirtualMachineArgs(
        namespace=namespace,
        name=name,
        cpu=Cpu(sockets=1),
        memory=Memory(guest="1Gi"),
        root_disk=RootDisk(image=RegistrySource(url="docker://quay.io/containerdisks/fedora:40"), size="5Gi"),
        cloud_init=CloudInit(user_data=USER_DATA),
        service=ServiceExposure(ports=(ServicePort(name="ssh", port=22),)),
    )
    return compile_vm(args, StackContext(project, stack))


def apply(api: Any, manifest: Mapping[str, Any], manager: str = PULUMI_MANAGER) -> None:
    """Server-side apply, as pulumi-kubernetes does it."""
    method, url, headers, _, post = api.param_serialize(
        method="PATCH",
        resource_path=object_path(manifest),
        query_params=[("fieldManager", manager), ("force", "true")],
        header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    response = api.call_api(method, url, headers, json.dumps(manifest), post)
    body = response.read()
    assert response.status in (200, 201), body[:500]


def apply_all(api: Any, manifests: Sequence[Mapping[str, Any]], manager: str = PULUMI_MANAGER) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda m: apply(api, m, manager), manifests))


def key(group: str, kind: str, namespace: str, name: str) -> ObjectKey:
    return ObjectKey(group, kind, namespace, name)


# --- reading what was applied --------------------------------------------------------------------------


def test_objects_applied_by_pulumi_kubernetes_are_read_back_with_their_managers(
    api_client: Any, namespace: str
) -> None:
    desired = vm_manifests(namespace, "web-1")
    apply_all(api_client, desired)

    live = read_live(api_client, desired, project=PROJECT, stack=STACK)

    assert {ObjectKey.of(m) for m in desired} <= set(live.objects)
    assert live.unmanaged == frozenset()
    assert live.missing_kinds == ()
    assert live.missing_namespaces == ()
    vm = live.objects[key("kubevirt.io", "VirtualMachine", namespace, "web-1")]
    assert vm["apiVersion"] == "kubevirt.io/v1"
    assert vm["spec"]["runStrategy"] == "Always"
    assert PULUMI_MANAGER in {entry["manager"] for entry in vm["metadata"]["managedFields"]}
    service = live.objects[key("", "Service", namespace, "web-1")]
    assert service["kind"] == "Service"
    assert service["apiVersion"] == "v1"
    assert live.kubevirt is not None
    assert live.kubevirt["kind"] == "KubeVirt"
    assert set(live.storage_classes) >= {"standard", "fixed-size"}


def test_equal_field_sets_are_held_once_and_every_object_is_as_the_server_sent_it(
    api_client: Any, namespace: str
) -> None:
    desired = [m for i in range(3) for m in vm_manifests(namespace, f"web-{i}")]
    apply_all(api_client, desired)

    live = read_live(api_client, desired, project=PROJECT, stack=STACK)

    for manifest in desired:
        got = live.objects[ObjectKey.of(manifest)]
        sent = request_json(api_client, object_path(manifest))
        assert got == {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"], **sent}
    field_sets = [
        entry["fieldsV1"]
        for i in range(3)
        for entry in live.objects[key("kubevirt.io", "VirtualMachine", namespace, f"web-{i}")]["metadata"][
            "managedFields"
        ]
        if entry["manager"] == PULUMI_MANAGER
    ]
    assert len(field_sets) == 3
    assert field_sets[0] is field_sets[1] is field_sets[2]


def test_vmis_and_pvcs_behind_the_stack_are_read_and_unrelated_ones_are_not(
    api_client: Any, namespace: str
) -> None:
    desired = vm_manifests(namespace, "web-1")
    apply_all(api_client, desired)

    # What virt-controller and CDI create, under their own managers and without the stack's labels.
    def vmi(name: str) -> dict[str, Any]:
        return {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstance",
            "metadata": {"name": name, "namespace": namespace, "labels": {"pulumi-kubevirt/vm": name}},
            "spec": {"domain": {"devices": {}}},
        }

    def pvc(name: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
        }

    apply_all(api_client, [vmi("web-1"), vmi("someone-elses")], manager="virt-controller")
    apply_all(api_client, [pvc("web-1-root"), pvc("someone-elses")], manager="cdi-controller")

    live = read_live(api_client, desired, project=PROJECT, stack=STACK)

    assert live.objects[key("kubevirt.io", "VirtualMachineInstance", namespace, "web-1")]["spec"]
    assert live.objects[key("", "PersistentVolumeClaim", namespace, "web-1-root")]["spec"]
    assert key("kubevirt.io", "VirtualMachineInstance", namespace, "someone-elses") not in live.objects
    assert key("", "PersistentVolumeClaim", namespace, "someone-elses") not in live.objects
    assert live.unmanaged == frozenset()


def test_request_count_is_the_same_for_3_and_30_vms(api_client: Any, namespace: str) -> None:
    first = [m for i in range(3) for m in vm_manifests(namespace, f"vm-{i:02d}")]
    apply_all(api_client, first)
    small = read_live_with_stats(api_client, first, project=PROJECT, stack=STACK)

    rest = [m for i in range(3, 30) for m in vm_manifests(namespace, f"vm-{i:02d}")]
    apply_all(api_client, rest)
    large = read_live_with_stats(api_client, first + rest, project=PROJECT, stack=STACK)

    expected = CLUSTER_LEVEL_LISTS + KINDS_PER_NAMESPACE
    assert (small.stats.requests, large.stats.requests) == (expected, expected)
    assert small.stats.paths() == large.stats.paths()
    assert large.stats.retries == 0
    vms = [k for k in large.state.objects if k.kind == "VirtualMachine"]
    assert len(vms) == 30


def test_objects_of_the_stack_missing_from_desired_are_still_read(api_client: Any, namespace: str) -> None:
    kept = vm_manifests(namespace, "kept")
    removed = vm_manifests(namespace, "removed")
    apply_all(api_client, kept + removed)

    live = read_live(api_client, kept, project=PROJECT, stack=STACK)

    assert {ObjectKey.of(m) for m in removed} <= set(live.objects)


def test_other_stacks_objects_are_not_read(api_client: Any, namespace: str) -> None:
    ours = vm_manifests(namespace, "ours")
    theirs = vm_manifests(namespace, "theirs", stack="prod")
    apply_all(api_client, ours + theirs)

    live = read_live(api_client, ours, project=PROJECT, stack=STACK)

    assert not {ObjectKey.of(m) for m in theirs} & set(live.objects)


def test_extra_namespaces_find_objects_whose_namespace_left_the_code(api_client: Any, namespace: str) -> None:
    other = f"{namespace}-old"
    apply(api_client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    try:
        left_behind = vm_manifests(other, "moved")
        apply_all(api_client, left_behind)
        desired = vm_manifests(namespace, "moved")

        without = read_live(api_client, desired, project=PROJECT, stack=STACK)
        with_old = read_live(api_client, desired, project=PROJECT, stack=STACK, namespaces=[other])

        assert not [k for k in without.objects if k.namespace == other]
        assert {ObjectKey.of(m) for m in left_behind} <= set(with_old.objects)
    finally:
        request_delete(api_client, f"/api/v1/namespaces/{other}")


def request_json(api: Any, path: str) -> dict[str, Any]:
    """One object as the server sends it, decoded with nothing shared."""
    method, url, headers, _, _ = api.param_serialize(
        method="GET", resource_path=path, auth_settings=["BearerToken"]
    )
    response = api.rest_client.pool_manager.request(method, url, headers=headers)
    assert response.status == 200, response.data[:300]
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded


def request_delete(api: Any, path: str) -> None:
    method, url, headers, _, post = api.param_serialize(
        method="DELETE", resource_path=path, auth_settings=["BearerToken"]
    )
    api.call_api(method, url, headers, None, post).read()


# --- unmanaged objects under desired names ----------------------------------------------------------


def test_unlabelled_objects_with_desired_names_are_reported_unmanaged(
    api_client: Any, namespace: str
) -> None:
    desired = vm_manifests(namespace, "adopt")
    vm, secret, service = (
        next(m for m in desired if m["kind"] == kind) for kind in ("VirtualMachine", "Secret", "Service")
    )
    apply_all(api_client, [m for m in desired if m["kind"] in ("VirtualMachine", "DataVolume")])
    hand_made_service = {**service, "metadata": {"name": service["metadata"]["name"], "namespace": namespace}}
    apply(api_client, hand_made_service, manager="kubectl")
    other_stack_secret = {
        **secret,
        "metadata": {**secret["metadata"], "labels": stack_labels(PROJECT, "another-stack")},
    }
    apply(api_client, other_stack_secret, manager="kubectl")
    unrelated_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "unrelated", "namespace": namespace},
        "stringData": {"token": "unrelated-value"},
    }
    apply(api_client, unrelated_secret, manager="kubectl")

    read = read_live_with_stats(api_client, desired, project=PROJECT, stack=STACK)

    assert read.state.unmanaged == {ObjectKey.of(service), ObjectKey.of(secret)}
    assert ObjectKey.of(vm) in read.state.objects
    assert ObjectKey.of(unrelated_secret) not in read.state.objects
    by_name_lists = {p for p in read.stats.paths() if "labelSelector" not in p and "/namespaces/" in p}
    assert by_name_lists == {
        f"/api/v1/namespaces/{namespace}/secrets",
        f"/api/v1/namespaces/{namespace}/services",
        f"/api/v1/namespaces/{namespace}/persistentvolumeclaims",
        f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances",
    }
    assert read.stats.requests == CLUSTER_LEVEL_LISTS + KINDS_PER_NAMESPACE + 2


# --- what is not there ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MissingKindCase:
    api_version: str
    kind: str
    expected_note: str

    @property
    def expected_kind(self) -> str:
        return f"{self.kind} ({self.api_version})"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            MissingKindCase(
                "fake.example.com/v1", "Widget", "does not serve the API group version fake.example.com/v1"
            ),
            id="unknown-group",
        ),
        pytest.param(
            MissingKindCase(
                "kubevirt.io/v1", "Gadget", "has no kind Gadget in it. Install the KubeVirt version"
            ),
            id="unknown-kind-in-served-group",
        ),
        pytest.param(
            MissingKindCase(
                "k8s.cni.cncf.io/v9", "NetworkAttachmentDefinition", "answered 404). Install Multus"
            ),
            id="known-kind-unserved-version",
        ),
    ],
)
def test_kinds_the_cluster_does_not_serve_are_recorded_not_raised(
    api_client: Any, namespace: str, case: MissingKindCase
) -> None:
    desired = [
        *vm_manifests(namespace, "web"),
        {
            "apiVersion": case.api_version,
            "kind": case.kind,
            "metadata": {"name": "x", "namespace": namespace},
        },
    ]
    apply_all(api_client, desired[:-1])

    read = read_live_with_stats(api_client, desired, project=PROJECT, stack=STACK)

    assert read.state.missing_kinds == (case.expected_kind,)
    assert len(read.notes) == 1
    assert read.notes[0].startswith(case.expected_kind + ": ")
    assert case.expected_note in read.notes[0]
    assert ObjectKey("kubevirt.io", "VirtualMachine", namespace, "web") in read.state.objects


def test_a_namespace_the_code_creates_is_not_missing(api_client: Any, namespace: str) -> None:
    created = f"{namespace}-new"
    namespace_object = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": created}}
    desired = [namespace_object, *vm_manifests(created, "web")]

    live = read_live(api_client, desired, project=PROJECT, stack=STACK)

    assert live.missing_namespaces == ()
    assert ObjectKey.of(namespace_object) not in live.objects


def test_a_missing_namespace_is_recorded_not_raised(api_client: Any, namespace: str) -> None:
    absent = f"{namespace}-absent"
    desired = vm_manifests(namespace, "here") + vm_manifests(absent, "there")
    apply_all(api_client, vm_manifests(namespace, "here"))

    read = read_live_with_stats(api_client, desired, project=PROJECT, stack=STACK)

    assert read.state.missing_namespaces == (absent,)
    assert read.state.missing_kinds == ()
    assert not [k for k in read.state.objects if k.namespace == absent]
    assert read.stats.requests == CLUSTER_LEVEL_LISTS + 2 * KINDS_PER_NAMESPACE


# --- a network that misbehaves ------------------------------------------------------------------------


class FlakyProxy(ThreadingHTTPServer):
    """Forwards to the real API server, but answers the first ``failures`` requests with ``status``."""

    daemon_threads = True

    def __init__(
        self,
        upstream: str,
        ca_path: Path,
        failures: int,
        status: int,
        retry_after: str | None,
        *,
        forbidden: tuple[str, ...] = (),
    ) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        host, _, port = upstream.removeprefix("https://").partition(":")
        self.upstream = (host, int(port))
        self.context = ssl.create_default_context(cafile=str(ca_path))
        self.failures = failures
        self.status = status
        self.retry_after = retry_after
        self.forbidden = forbidden
        self.seen = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def take_failure(self) -> bool:
        with self.lock:
            self.seen += 1
            return self.seen <= self.failures


class _ProxyHandler(BaseHTTPRequestHandler):
    server: FlakyProxy

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_GET(self) -> None:
        if self.path.split("?")[0] in self.server.forbidden:
            self.send_response(403)
            self._send_body(json.dumps({"kind": "Status", "message": "forbidden", "code": 403}).encode())
            return
        if self.server.take_failure():
            body = json.dumps(
                {"kind": "Status", "status": "Failure", "message": "injected", "code": self.server.status}
            )
            self.send_response(self.server.status)
            if self.server.retry_after is not None:
                self.send_header("Retry-After", self.server.retry_after)
            self._send_body(body.encode())
            return
        host, port = self.server.upstream
        upstream = http.client.HTTPSConnection(host, port, context=self.server.context, timeout=30)
        try:
            upstream.request(
                "GET", self.path, headers={k: v for k, v in self.headers.items() if k.lower() != "host"}
            )
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            self._send_body(data)
        finally:
            upstream.close()

    def _send_body(self, data: bytes) -> None:
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def flaky(cluster: ControlPlane, request: pytest.FixtureRequest) -> Iterator[tuple[FlakyProxy, Any]]:
    failures, status, retry_after, *forbidden = request.param
    proxy = FlakyProxy(
        cluster.server, cluster.ca_path, failures, status, retry_after, forbidden=tuple(forbidden)
    )
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    configuration = k8s_client.Configuration()
    configuration.host = proxy.url
    configuration.api_key = {"BearerToken": f"Bearer {cluster.token}"}
    api = k8s_client.ApiClient(configuration)
    try:
        yield proxy, api
    finally:
        api.close()
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    "flaky",
    [
        pytest.param((2, 429, "1"), id="429-retry-after-1s"),
        pytest.param((3, 503, None), id="503-without-retry-after"),
        pytest.param((1, 500, "0"), id="500-retry-after-0"),
    ],
    indirect=True,
)
def test_throttling_and_server_errors_are_retried(
    flaky: tuple[FlakyProxy, Any], api_client: Any, namespace: str
) -> None:
    proxy, api = flaky
    desired = vm_manifests(namespace, "web")
    apply_all(api_client, desired)

    started = time.monotonic()
    read = read_live_with_stats(api, desired, project=PROJECT, stack=STACK, timeout_s=20)
    took = time.monotonic() - started

    assert read.stats.retries == proxy.failures
    assert read.stats.requests == CLUSTER_LEVEL_LISTS + KINDS_PER_NAMESPACE
    assert read.stats.attempts == read.stats.requests + proxy.failures
    assert read.state.kubevirt is not None
    if proxy.retry_after == "1":
        assert took >= 1.0


@pytest.mark.parametrize(
    "flaky",
    [
        pytest.param((10_000, 500, None), id="500-forever"),
        pytest.param((10_000, 429, "1"), id="429-forever"),
    ],
    indirect=True,
)
def test_a_server_that_keeps_failing_gives_a_clear_error_in_bounded_time(
    flaky: tuple[FlakyProxy, Any], cluster: ControlPlane, namespace: str
) -> None:
    proxy, api = flaky
    desired = vm_manifests(namespace, "web")

    started = time.monotonic()
    with pytest.raises(LiveReadError) as raised:
        read_live(api, desired, project=PROJECT, stack=STACK, timeout_s=3)
    took = time.monotonic() - started

    message = str(raised.value)
    assert took < 6
    assert message.startswith("The Kubernetes API server did not answer in time:\n")
    assert "  - GET /api/v1/namespaces on 127.0.0.1:" in message
    assert f"the server answered {proxy.status}" in message
    assert "try again later, or allow more time (--timeout)" in message
    assert "9 other request(s) failed the same way." in message
    assert cluster.token not in message


@pytest.mark.parametrize("flaky", [pytest.param((10_000, 403, None), id="403-forbidden")], indirect=True)
def test_forbidden_lists_are_named_with_a_fix(flaky: tuple[FlakyProxy, Any], namespace: str) -> None:
    _, api = flaky

    with pytest.raises(LiveReadError) as raised:
        read_live(api, vm_manifests(namespace, "web"), project=PROJECT, stack=STACK, timeout_s=10)

    message = str(raised.value)
    assert message.startswith("Could not read the cluster (")
    assert f"LIST /api/v1/namespaces/{namespace}/secrets: answered 403: injected." in message
    assert "grant list on this resource, or use another context" in message


CLUSTER_WIDE = (
    "/api/v1/namespaces",
    "/apis/kubevirt.io/v1/kubevirts",
    "/apis/storage.k8s.io/v1/storageclasses",
)


@pytest.mark.parametrize(
    "flaky", [pytest.param((0, 200, None, *CLUSTER_WIDE), id="namespace-scoped-user")], indirect=True
)
def test_cluster_wide_facts_a_namespace_scoped_user_may_not_read_are_noted(
    flaky: tuple[FlakyProxy, Any], api_client: Any, namespace: str
) -> None:
    _, api = flaky
    desired = vm_manifests(namespace, "web")
    apply_all(api_client, desired)

    read = read_live_with_stats(
        api, desired + vm_manifests(f"{namespace}-absent", "x"), project=PROJECT, stack=STACK
    )

    assert {ObjectKey.of(m) for m in desired} <= set(read.state.objects)
    assert read.state.kubevirt is None
    assert read.state.storage_classes == {}
    assert read.state.missing_namespaces == ()
    assert [note.split(":")[0] for note in read.notes] == [
        "KubeVirt (kubevirt.io/v1)",
        "Namespace (v1)",
        "StorageClass (storage.k8s.io/v1)",
    ]
    assert "answered 403), so missing namespaces cannot be detected." in read.notes[1]


def test_an_unreachable_server_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig_document({"gone": "https://127.0.0.1:1"}, "gone", "token-xyz")))
    api = load_kube_config(str(path), None)

    with pytest.raises(LiveReadError) as raised:
        read_live(api, [], project=PROJECT, stack=STACK, timeout_s=10)

    message = str(raised.value)
    assert message.startswith("Cannot reach the Kubernetes API server:\n")
    assert "on gone: failed 3 times: the connection failed" in message
    assert "2 other request(s) failed the same way." in message
    assert "token-xyz" not in message


# --- kubeconfig resolution ------------------------------------------------------------------------------


def kubeconfig_document(servers: Mapping[str, str], current: str | None, token: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}} for name, url in servers.items()],
        "users": [{"name": f"user-{name}", "user": {"token": token}} for name in servers],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": f"user-{name}"}} for name in servers
        ],
        **({"current-context": current} if current else {}),
    }


@pytest.fixture
def kubeconfigs(cluster: ControlPlane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """``real`` points at the test cluster (context ``real``), ``other`` at nothing (context ``other``)."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    real = kubeconfig_document({"real": cluster.server}, "real", cluster.token)
    real["clusters"][0]["cluster"]["certificate-authority"] = str(cluster.ca_path)
    paths = {
        "real": tmp_path / "real.yaml",
        "other": tmp_path / "other.yaml",
        "both": tmp_path / "both.yaml",
    }
    paths["real"].write_text(yaml.safe_dump(real))
    paths["other"].write_text(
        yaml.safe_dump(kubeconfig_document({"other": "https://127.0.0.1:1"}, "other", "t"))
    )
    both = kubeconfig_document({"other": "https://127.0.0.1:1"}, "other", "t")
    both["contexts"] += real["contexts"]
    both["clusters"] += real["clusters"]
    both["users"] += real["users"]
    paths["both"].write_text(yaml.safe_dump(both))
    return paths


@pytest.mark.parametrize(
    ("listed", "context", "expected"),
    [
        pytest.param(("real", "other", None), None, "real", id="first-file-current-context-wins"),
        pytest.param(("other", "real", None), None, "other", id="first-file-current-context-wins-reversed"),
        pytest.param(("other", "real", None), "real", "real", id="context-flag-overrides"),
        pytest.param(("missing", "real", None), None, "real", id="missing-files-in-list-skipped"),
    ],
)
def test_kubeconfig_list_is_merged_like_kubectl(
    kubeconfigs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    listed: tuple[str | None, ...],
    context: str | None,
    expected: str,
) -> None:
    missing = kubeconfigs["real"].with_name("missing.yaml")
    files = [str(kubeconfigs.get(name, missing)) for name in listed if name]
    monkeypatch.setenv("KUBECONFIG", ":".join(files))

    api = load_kube_config(None, context)

    assert api.context_name == expected
    if expected == "real":
        assert read_live(api, [], project=PROJECT, stack=STACK).cluster == "real"


def test_explicit_kubeconfig_wins_over_the_environment(
    kubeconfigs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfigs["other"]))

    api = load_kube_config(str(kubeconfigs["real"]), None)

    assert api.context_name == "real"
    assert read_live(api, [], project=PROJECT, stack=STACK).kubevirt is not None


def test_home_kubeconfig_is_the_default(kubeconfigs: dict[str, Path], tmp_path: Path) -> None:
    home_config = tmp_path / "home" / ".kube" / "config"
    home_config.parent.mkdir(parents=True)
    home_config.write_text(kubeconfigs["both"].read_text())

    assert load_kube_config(None, None).context_name == "other"
    assert load_kube_config(None, "real").context_name == "real"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    environment: Mapping[str, str]
    """``@name``: a kubeconfig the fixture wrote; for KUBECONFIG, other names are files under tmp_path."""
    flag: str | None
    context: str | None
    title: str
    phrase: str


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            ConfigProblem({}, "nope.yaml", None, "Kubeconfig not found:", "--kubeconfig "),
            id="flag-file-missing",
        ),
        pytest.param(
            ConfigProblem(
                {"KUBECONFIG": "a.yaml:b.yaml"},
                None,
                None,
                "Kubeconfig not found:",
                "none of these files exists",
            ),
            id="env-files-missing",
        ),
        pytest.param(
            ConfigProblem({}, None, None, "No Kubernetes configuration found:", "Pass --kubeconfig PATH"),
            id="nothing",
        ),
        pytest.param(
            ConfigProblem(
                {"KUBECONFIG": "@real"},
                None,
                "prod-east",
                "Kubernetes context not found:",
                "contexts defined there: real.",
            ),
            id="unknown-context",
        ),
        pytest.param(
            ConfigProblem(
                {"KUBECONFIG": "@broken"},
                None,
                None,
                "Kubeconfig is not valid YAML:",
                "has a syntax error at line 3",
            ),
            id="bad-yaml",
        ),
        pytest.param(
            ConfigProblem(
                {"KUBECONFIG": "@nocurrent"},
                None,
                None,
                "No Kubernetes context chosen:",
                "(one of: other, real)",
            ),
            id="no-current-context",
        ),
        pytest.param(
            ConfigProblem(
                {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"},
                None,
                None,
                "In-cluster configuration unusable:",
                "service account",
            ),
            id="in-cluster-without-token",
        ),
    ],
)
def test_kubeconfig_problems_are_clear_errors(
    kubeconfigs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cluster: ControlPlane,
    case: ConfigProblem,
) -> None:
    (tmp_path / "broken.yaml").write_text("clusters:\n  - name: [unclosed\n")
    nocurrent = yaml.safe_load(kubeconfigs["both"].read_text())
    del nocurrent["current-context"]
    (tmp_path / "nocurrent.yaml").write_text(yaml.safe_dump(nocurrent))
    for variable, given in case.environment.items():
        if given.startswith("@"):
            value = str(kubeconfigs.get(given[1:], tmp_path / f"{given[1:]}.yaml"))
        elif variable == "KUBECONFIG":
            value = ":".join(str(tmp_path / part) for part in given.split(":"))
        else:
            value = given
        monkeypatch.setenv(variable, value)

    with pytest.raises(KubeConfigError) as raised:
        load_kube_config(str(tmp_path / case.flag) if case.flag else None, case.context)

    message = str(raised.value)
    assert message.startswith(case.title + "\n")
    assert case.phrase in message
    assert cluster.token not in message
