"""A local Kubernetes control plane (etcd + kube-apiserver) with KubeVirt's, CDI's and Multus' APIs.

Why: the tests and anyone trying the tool without a cluster need a *real* API server (server-side apply,
managed fields, conflicts, CRD schema validation), and no container runtime is available. See
``../shared/docs/TEST-CLUSTER.md`` for the facts this module relies on.

The binaries come from ``KUBEBUILDER_ASSETS``, ``PATH``, or a per-version cache that is filled once by
building kube-apiserver from Debian's source package (``build-kube-apiserver.sh``). Each start is a fresh
etcd on free loopback ports; everything started is stopped by pid, also on interrupt.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import urllib3
import yaml

from pulumi_kubevirt.bundle import bundle_dir

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

KUBE_APISERVER_VERSION = "v1.20.2"
BUILD_SCRIPT = Path(__file__).with_name("build-kube-apiserver.sh")
CRD_DIR = Path("crds") / "k8s-1.20"
INSTANCETYPES_FILE = Path("instancetypes") / "common-instancetypes-v1.7.0.yaml"
KUBEVIRT_VERSION = "v1.9.0"
CLUSTER_NAME = "pulumi-kubevirt-dev"
SIMULATED_PROVISIONER = "kubevirt.io/simulated"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

READY_TIMEOUT_SECONDS = 60.0
ESTABLISHED_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
TRANSIENT_RETRY_SECONDS = 15.0
PARALLEL_REQUESTS = 6
LOG_TAIL_LINES = 25


class ControlPlaneError(RuntimeError):
    """The control plane could not be had or started; the message says why and what to do."""


# ----------------------------------------------------------------------------------------------------
# Binaries


@dataclass(frozen=True, slots=True)
class Binaries:
    """The executables the control plane runs, and where each was found (for messages)."""

    kube_apiserver: Path
    etcd: Path
    openssl: Path
    origin: Mapping[str, str] = field(default_factory=dict)


def cache_root() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/pulumi-kubevirt``: where the built kube-apiserver is kept, by version."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-kubevirt"


def cached_kube_apiserver(root: Path | None = None) -> Path:
    """Where the build script leaves kube-apiserver for this version (it may not exist yet)."""
    return (root or cache_root()) / f"kube-apiserver-{KUBE_APISERVER_VERSION}" / "kube-apiserver"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _find(name: str) -> tuple[Path, str] | None:
    """``KUBEBUILDER_ASSETS`` first (what envtest users have), then ``PATH``."""
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if assets and _executable(Path(assets) / name):
        return Path(assets) / name, "KUBEBUILDER_ASSETS"
    found = shutil.which(name)
    if found:
        return Path(found), "PATH"
    return None


def _install_debian_packages(packages: Sequence[str]) -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise ControlPlaneError(
            "Cannot install the control plane's tools.\n"
            f"{', '.join(packages)} are needed and not on PATH, and packages can only be installed "
            "automatically as root on Debian or Ubuntu. Install them (Debian: apt-get install "
            f"{' '.join(packages)}), or set KUBEBUILDER_ASSETS to a directory holding etcd and "
            "kube-apiserver."
        )
    print(f"devcluster: installing Debian packages {' '.join(packages)}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ControlPlaneError(
                "Cannot install the control plane's tools.\n"
                f"`{' '.join(command)}` failed with exit code {result.returncode}: "
                f"{_tail(result.stderr.splitlines())}\nInstall {' '.join(packages)} yourself and retry."
            )


def _build_kube_apiserver(root: Path) -> Path:
    """Run the build script once, under a file lock so parallel sessions do not build twice."""
    target = cached_kube_apiserver(root)
    root.mkdir(parents=True, exist_ok=True)
    log_path = root / f"build-kube-apiserver-{KUBE_APISERVER_VERSION}.log"
    with open(root / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _executable(target):
            return target
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            raise ControlPlaneError(
                "No kube-apiserver found.\n"
                "kube-apiserver is not on PATH, not in KUBEBUILDER_ASSETS and not cached at "
                f"{target}. Building it needs root on Debian (it installs Go from apt). Either run as root "
                "once, or point KUBEBUILDER_ASSETS at envtest binaries (setup-envtest use -p path)."
            )
        print(
            f"devcluster: building kube-apiserver {KUBE_APISERVER_VERSION} once (about 4 minutes); "
            f"log in {log_path}",
            file=sys.stderr,
        )
        with open(log_path, "w") as log:
            result = subprocess.run(
                ["bash", str(BUILD_SCRIPT), str(root)], stdout=subprocess.DEVNULL, stderr=log, check=False
            )
        if result.returncode != 0 or not _executable(target):
            lines = log_path.read_text(errors="replace").splitlines()
            raise ControlPlaneError(
                "Building kube-apiserver failed.\n"
                f"The build script exited with code {result.returncode}; its log is {log_path}. "
                f"Last lines:\n{_tail(lines)}"
            )
        return target


def find_or_build_binaries(cache: Path | None = None) -> Binaries:
    """Find etcd, kube-apiserver and openssl; install or build what is missing (kube-apiserver: cached)."""
    root = cache or cache_root()
    missing_packages = [
        package for tool, package in (("etcd", "etcd-server"), ("openssl", "openssl")) if _find(tool) is None
    ]
    if missing_packages:
        _install_debian_packages(missing_packages)
    found: dict[str, tuple[Path, str]] = {}
    for tool in ("etcd", "openssl"):
        hit = _find(tool)
        if hit is None:
            raise ControlPlaneError(
                f"No {tool} found.\n{tool} is neither on PATH nor in KUBEBUILDER_ASSETS, even after "
                "installing its Debian package. Install it and retry."
            )
        found[tool] = hit
    apiserver = _find("kube-apiserver")
    if apiserver is None:
        cached = cached_kube_apiserver(root)
        apiserver = (cached, "cache") if _executable(cached) else (_build_kube_apiserver(root), "built")
    return Binaries(
        kube_apiserver=apiserver[0],
        etcd=found["etcd"][0],
        openssl=found["openssl"][0],
        origin={"kube-apiserver": apiserver[1], "etcd": found["etcd"][1], "openssl": found["openssl"][1]},
    )


# ----------------------------------------------------------------------------------------------------
# Processes


def _tail(lines: Sequence[str], count: int = LOG_TAIL_LINES) -> str:
    return "\n".join(f"    {line}" for line in lines[-count:]) or "    (no output)"


def _log_tail(path: Path) -> str:
    try:
        return _tail(path.read_text(errors="replace").splitlines())
    except OSError:
        return "    (no log)"


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports; all sockets are held open together so the kernel gives distinct ones."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


_PR_SET_PDEATHSIG = 1
_LIBC: Any = None
with contextlib.suppress(OSError):
    _LIBC = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM if the parent dies, even by SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def process_start_time(pid: int) -> int | None:
    """The start time of a process in clock ticks since boot (``/proc/PID/stat`` field 22), None if gone.

    Recorded with a pid so a later ``down`` never signals an unrelated process that reused the pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True if the pid runs (not a zombie) and, when given, started at ``start_time``."""
    current = process_start_time(pid)
    return current is not None and (start_time is None or current == start_time)


def stop_pid(pid: int, start_time: int | None, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM a process we do not parent (a detached one), SIGKILL it after ``timeout``, wait till gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if not process_alive(pid, start_time):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and process_alive(pid, start_time):
            time.sleep(0.05)


def _stop_children(processes: Sequence[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM all at once, SIGKILL whatever outlives ``timeout``, and reap every one."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()


# Every running, owned control plane of this process: stopped at exit and on SIGTERM/SIGINT.
_RUNNING: list[ControlPlane] = []
_RUNNING_LOCK = threading.Lock()
_PREVIOUS_HANDLERS: dict[int, Any] = {}
_ATEXIT_HOOK = {"registered": False}


def _stop_all_running() -> None:
    with _RUNNING_LOCK:
        planes = list(_RUNNING)
    for plane in planes:
        plane.stop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Stop every control plane, then hand the signal to whoever had it before (re-raise it)."""
    _stop_all_running()
    previous = _PREVIOUS_HANDLERS.pop(signum, signal.SIG_DFL)
    signal.signal(signum, previous)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        os.kill(os.getpid(), signum)


def _register(plane: ControlPlane) -> None:
    with _RUNNING_LOCK:
        _RUNNING.append(plane)
        if not _ATEXIT_HOOK["registered"]:
            atexit.register(_stop_all_running)
            _ATEXIT_HOOK["registered"] = True
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                current = signal.getsignal(signum)
                if current is not _on_signal:
                    _PREVIOUS_HANDLERS[signum] = current
                    signal.signal(signum, _on_signal)


def _unregister(plane: ControlPlane) -> None:
    with _RUNNING_LOCK:
        if plane in _RUNNING:
            _RUNNING.remove(plane)
        if _RUNNING or threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in list(_PREVIOUS_HANDLERS.items()):
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, previous)
            del _PREVIOUS_HANDLERS[signum]


# ----------------------------------------------------------------------------------------------------
# HTTP against the server being bootstrapped (urllib3 directly: cheap to import, thread-safe pool)


class _Api:
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


def _collection_path(manifest: Mapping[str, Any], plural: str) -> str:
    api_version = str(manifest["apiVersion"])
    prefix = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    namespace = manifest.get("metadata", {}).get("namespace")
    return f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"


def _group_kind(manifest: Mapping[str, Any]) -> str:
    return f"{str(manifest['apiVersion']).rpartition('/')[0]}/{manifest['kind']}"


def _load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path) as stream:
        return [doc for doc in yaml.load_all(stream, Loader=loader) if doc]


@dataclass(frozen=True, slots=True)
class _Crd:
    name: str
    body: bytes
    group: str
    kind: str
    plural: str
    served_versions: tuple[str, ...]


def _load_bundle(bundle: Path) -> tuple[list[_Crd], list[dict[str, Any]]]:
    """The CRDs (encoded once, off the critical path) and the instancetype objects."""
    crds: list[_Crd] = []
    for crd_file in sorted((bundle / CRD_DIR).glob("*.yaml")):
        for crd in _load_yaml_documents(crd_file):
            spec = crd["spec"]
            served = tuple(version["name"] for version in spec["versions"] if version.get("served", True))
            crds.append(
                _Crd(
                    name=crd["metadata"]["name"],
                    body=json.dumps(crd).encode(),
                    group=spec["group"],
                    kind=spec["names"]["kind"],
                    plural=spec["names"]["plural"],
                    served_versions=served,
                )
            )
    return crds, _load_yaml_documents(bundle / INSTANCETYPES_FILE)


def _storage_class(name: str, expandable: bool, default: bool) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if default:
        metadata["annotations"] = {DEFAULT_CLASS_ANNOTATION: "true"}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata,
        "provisioner": SIMULATED_PROVISIONER,
        "allowVolumeExpansion": expandable,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


KUBEVIRT_CR: Mapping[str, Any] = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "KubeVirt",
    "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
    "spec": {
        "certificateRotateStrategy": {},
        "configuration": {"developerConfiguration": {"featureGates": []}},
        "customizeComponents": {},
        "imagePullPolicy": "IfNotPresent",
        "workloadUpdateStrategy": {},
    },
}
KUBEVIRT_STATUS: Mapping[str, Any] = {
    "status": {
        "phase": "Deployed",
        "observedKubeVirtVersion": KUBEVIRT_VERSION,
        "targetKubeVirtVersion": KUBEVIRT_VERSION,
        "operatorVersion": KUBEVIRT_VERSION,
        "defaultArchitecture": "amd64",
    }
}


# ----------------------------------------------------------------------------------------------------
# The control plane


@dataclass(slots=True)
class StartTimings:
    """Seconds spent in each start step, for the docs and for spotting the slowest one."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round(time.perf_counter() - started, 3)

    @property
    def total(self) -> float:
        return round(sum(self.steps.values()), 3)


class ControlPlane:
    """etcd + kube-apiserver on loopback, with the KubeVirt/CDI/Multus CRDs, instancetypes, a KubeVirt CR and
    two StorageClasses installed.

    ``workdir``: where data, certificates, logs and the kubeconfig go; by default a fresh temporary directory
    that ``stop()`` removes. ``start(detach=True)`` leaves the processes running after this Python process
    exits (the ``up`` command); otherwise they are stopped at exit, on SIGTERM/SIGINT, and if this process
    dies.
    """

    def __init__(self, workdir: Path | None = None, binaries: Binaries | None = None) -> None:
        self._requested_workdir = workdir
        self._binaries = binaries
        self._owns_workdir = workdir is None
        self.workdir: Path = workdir or Path()
        self.token: str = ""
        self.server: str = ""
        self.etcd_url: str = ""
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._detached = False
        self.timings = StartTimings()

    # -- paths --
    @property
    def kubeconfig_path(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def ca_path(self) -> Path:
        return self.workdir / "pki" / "ca.crt"

    @property
    def logs_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def etcd_pid(self) -> int | None:
        process = self._processes.get("etcd")
        return process.pid if process else None

    @property
    def apiserver_pid(self) -> int | None:
        process = self._processes.get("kube-apiserver")
        return process.pid if process else None

    @property
    def binaries(self) -> Binaries:
        if self._binaries is None:
            self._binaries = find_or_build_binaries()
        return self._binaries

    # -- lifecycle --
    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, detach: bool = False) -> ControlPlane:
        """Start etcd and kube-apiserver, wait until ready, install the APIs; on failure stop all, raise."""
        if self._processes:
            return self
        self._detached = detach
        with self.timings.step("binaries"):
            binaries = self.binaries
        bundle_root = bundle_dir()
        if self._requested_workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="kvdev-", dir=_fast_temp_base()))
        else:
            self.workdir = self._requested_workdir
            self.workdir.mkdir(parents=True, exist_ok=True)
        if not detach:
            _register(self)
        try:
            self._start(binaries, bundle_root)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, binaries: Binaries, bundle_root: Path) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        etcd_port, peer_port, api_port = _free_ports(3)
        self.etcd_url = f"http://127.0.0.1:{etcd_port}"
        self.server = f"https://127.0.0.1:{api_port}"
        self.token = secrets.token_hex(24)
        with self.timings.step("etcd+certificates"):
            self._spawn("etcd", self._etcd_command(binaries.etcd, peer_port))
            self._make_certificates(binaries.openssl)
        crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
            with self.timings.step("apiserver-serves-crds"):
                self._spawn(
                    "kube-apiserver", self._apiserver_command(binaries.kube_apiserver, etcd_port, api_port)
                )
                bundle = pool.submit(_load_bundle, bundle_root)
                api = _Api(self.server, self.token, self.ca_path)
                # The CRD API answers about a second before /readyz (which waits for bootstrap objects such as
                # priority classes): creating the CRDs meanwhile overlaps the two slowest steps.
                self._wait_until_ok(api, f"{crd_path}?limit=1", "serve the CRD API")
                crds, instancetypes = bundle.result()
                plurals = {f"{crd.group}/{crd.kind}": crd.plural for crd in crds}
            with self.timings.step("crds-created"):
                list(pool.map(lambda crd: api.create(crd_path, crd.body), crds))
            with self.timings.step("apiserver-ready"):
                self._wait_until_ok(api, "/readyz", "be ready")
            self._write_kubeconfig()
            with self.timings.step("crds-established"):
                self._wait_established(api, crds)
            with self.timings.step("instancetypes+kubevirt+storageclasses"):
                jobs: list[Callable[[], None]] = [
                    partial(api.create, _collection_path(obj, plurals[_group_kind(obj)]), obj, 10.0)
                    for obj in instancetypes
                ]
                jobs.append(partial(self._install_kubevirt_cr, api))
                jobs.extend(
                    partial(api.create, "/apis/storage.k8s.io/v1/storageclasses", storage_class)
                    for storage_class in (
                        _storage_class("standard", expandable=True, default=True),
                        _storage_class("fixed-size", expandable=False, default=False),
                    )
                )
                list(pool.map(lambda job: job(), jobs))

    def _install_kubevirt_cr(self, api: _Api) -> None:
        api.create(
            "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubevirt"}}
        )
        api.create(
            "/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts", KUBEVIRT_CR, retry_not_found_for=10.0
        )
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

    def _etcd_command(self, etcd: Path, peer_port: int) -> list[str]:
        peer = f"http://127.0.0.1:{peer_port}"
        return [
            str(etcd),
            f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            "--name=default",
            "--log-level=warn",
            "--logger=zap",
        ]

    def _apiserver_command(self, apiserver: Path, etcd_port: int, api_port: int) -> list[str]:
        pki = self.workdir / "pki"
        return [
            str(apiserver),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--cert-dir={pki}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'service-account.key'}",
            f"--service-account-signing-key-file={pki / 'service-account.key'}",
            "--endpoint-reconciler-type=none",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=AlwaysAllow",
            "--disable-admission-plugins=ServiceAccount",
            "--enable-priority-and-fairness=false",
            "--allow-privileged=true",
            "--profiling=false",
            "--v=0",
        ]

    def _spawn(self, name: str, command: list[str]) -> None:
        log_path = self.logs_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            self._processes[name] = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
                # The hook only calls prctl(2) through a libc handle loaded at import: no locks taken.
                preexec_fn=None if self._detached else _die_with_parent,  # noqa: PLW1509
            )

    def _make_certificates(self, openssl: Path) -> None:
        """A CA, a serving certificate for 127.0.0.1, a service-account key (EC P-256: fast), a token."""
        pki = self.workdir / "pki"
        pki.mkdir(mode=0o700, exist_ok=True)
        key_options = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650"]
        commands = [
            [
                "req", "-x509", *key_options, "-keyout", "ca.key", "-out", "ca.crt",
                "-subj", f"/CN={CLUSTER_NAME}-ca",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            [
                "req", "-x509", *key_options, "-keyout", "apiserver.key", "-out", "apiserver.crt",
                "-subj", "/CN=kube-apiserver", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-addext", "basicConstraints=critical,CA:FALSE",
                "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
                "-addext", "extendedKeyUsage=serverAuth",
            ],
            # SEC1 ("EC PRIVATE KEY"): kube-apiserver 1.20 reads no public key out of a PKCS#8 file.
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "service-account.key"],
        ]  # fmt: skip
        for arguments in commands:
            result = subprocess.run(
                [str(openssl), *arguments], cwd=pki, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise ControlPlaneError(
                    "Generating the control plane's certificates failed.\n"
                    f"`openssl {arguments[0]}` exited with {result.returncode}:\n"
                    f"{_tail(result.stderr.splitlines())}"
                )
        _write_private(self.workdir / "tokens.csv", f'{self.token},admin,admin,"system:masters"\n')

    def _failure(self, what: str) -> ControlPlaneError:
        parts = [f"The local control plane did not start: {what}."]
        for name in self._processes:
            log_path = self.logs_dir / f"{name}.log"
            parts.append(f"Last lines of {log_path}:\n{_log_tail(log_path)}")
        return ControlPlaneError("\n".join(parts))

    def _check_alive(self) -> None:
        for name, process in self._processes.items():
            if process.poll() is not None:
                raise self._failure(f"{name} exited with code {process.returncode}")

    def _wait_until_ok(self, api: _Api, path: str, what: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            self._check_alive()
            with contextlib.suppress(urllib3.exceptions.HTTPError):
                status, _ = api.request("GET", path)
                if status == 200:
                    return
            if time.monotonic() > deadline:
                raise self._failure(
                    f"kube-apiserver did not {what} within {READY_TIMEOUT_SECONDS:.0f} seconds"
                )
            time.sleep(0.05)

    def _wait_established(self, api: _Api, crds: Sequence[_Crd]) -> None:
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
                _, listing = api.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
                for item in listing.get("items", []) if isinstance(listing, dict) else []:
                    conditions = (item.get("status") or {}).get("conditions") or []
                    if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                        pending_names.discard(item["metadata"]["name"])
                if not pending_names:
                    return
            self._check_alive()
            if time.monotonic() > deadline:
                missing = sorted(pending_names) if not expected else sorted(expected)
                raise self._failure(f"CRDs not Established in time: {', '.join(missing)}")
            time.sleep(0.05)

    def _write_kubeconfig(self) -> None:
        ca_data = base64.b64encode(self.ca_path.read_bytes()).decode()
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": CLUSTER_NAME,
                    "cluster": {"server": self.server, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": "admin"}}],
            "current-context": CLUSTER_NAME,
            "preferences": {},
        }
        _write_private(self.kubeconfig_path, yaml.safe_dump(kubeconfig, sort_keys=True))

    def api_client(self) -> ApiClient:
        """A fresh ``kubernetes`` client configured from the kubeconfig (bearer token, CA)."""
        from kubernetes import config

        if not self.kubeconfig_path.exists():
            raise ControlPlaneError("The local control plane is not running: call start() first.")
        client: ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.kubeconfig_path)
        )
        return client

    def stop(self) -> None:
        """Stop what this object started (SIGTERM, SIGKILL after a timeout, reaped); remove its temp dir."""
        processes = [self._processes[name] for name in ("kube-apiserver", "etcd") if name in self._processes]
        if processes:
            _stop_children(processes, STOP_TIMEOUT_SECONDS)
        self._processes.clear()
        _unregister(self)
        if self._owns_workdir and self.workdir != Path() and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)

    def detached_state(self) -> dict[str, Any]:
        """What ``down`` needs to stop a detached control plane later: pids with their start times."""
        processes: dict[str, Any] = {}
        for name, process in self._processes.items():
            processes[name] = {"pid": process.pid, "start_time": process_start_time(process.pid)}
        return {
            "server": self.server,
            "kubeconfig": str(self.kubeconfig_path),
            "workdir": str(self.workdir),
            "processes": processes,
        }

    def forget_processes(self) -> None:
        """After a detached start: this object no longer owns the processes (they outlive this process)."""
        self._processes.clear()


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (it holds a token or a key)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)
    os.chmod(path, 0o600)


def _fast_temp_base() -> str | None:
    """``/dev/shm`` when writable (etcd fsyncs every write; tmpfs makes that free), else the default."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and not os.environ.get("PULUMI_KUBEVIRT_DEVCLUSTER_TMPDIR"):
        return str(shm)
    return os.environ.get("PULUMI_KUBEVIRT_DEVCLUSTER_TMPDIR") or None
