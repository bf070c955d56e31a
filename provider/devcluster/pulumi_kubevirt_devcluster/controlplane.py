"""A local Kubernetes control plane (etcd + kube-apiserver) with KubeVirt's, CDI's and Multus' APIs.

Why: the tests and anyone trying the tool without a cluster need a *real* API server (server-side apply,
managed fields, conflicts, CRD schema validation), and no container runtime is available. See
``../shared/docs/TEST-CLUSTER.md`` for the facts this module relies on.

This module orchestrates; the parts live beside it: ``binaries`` (find or build the executables),
``processes`` (run and stop them by pid), ``credentials`` (certificates, token, kubeconfig), ``apis`` (what is
installed, from package data) and ``bootstrap`` (installing it). Each start is a fresh etcd on free loopback
ports; everything started is stopped by pid, also on interrupt.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pulumi_kubevirt_devcluster import bootstrap, credentials
from pulumi_kubevirt_devcluster.apis import (
    STORAGE_CLASSES,
    collection_path,
    group_kind,
    load_crds,
    load_instancetypes,
)
from pulumi_kubevirt_devcluster.binaries import Binaries, find_or_build_binaries
from pulumi_kubevirt_devcluster.errors import ControlPlaneError, log_tail
from pulumi_kubevirt_devcluster.processes import (
    forget_on_exit,
    free_ports,
    process_alive,
    process_start_time,
    spawn,
    stop_children,
    stop_on_exit,
    stop_pid,
)

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "Binaries",
    "ControlPlane",
    "ControlPlaneError",
    "StartTimings",
    "find_or_build_binaries",
    "process_alive",
    "stop_pid",
]


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
        if self._requested_workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="kvdev-", dir=_fast_temp_base()))
        else:
            self.workdir = self._requested_workdir
            self.workdir.mkdir(parents=True, exist_ok=True)
        if not detach:
            stop_on_exit(self)
        try:
            self._start(binaries)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, binaries: Binaries) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        etcd_port, peer_port, api_port = free_ports(3)
        self.etcd_url = f"http://127.0.0.1:{etcd_port}"
        self.server = f"https://127.0.0.1:{api_port}"
        self.token = secrets.token_hex(24)
        with self.timings.step("etcd+certificates"):
            self._spawn("etcd", self._etcd_command(binaries.etcd, peer_port))
            credentials.make_certificates(binaries.openssl, self.workdir / "pki")
            credentials.write_token_file(self.workdir / "tokens.csv", self.token)
        with ThreadPoolExecutor(max_workers=bootstrap.PARALLEL_REQUESTS) as pool:
            with self.timings.step("apiserver-serves-crds"):
                self._spawn(
                    "kube-apiserver", self._apiserver_command(binaries.kube_apiserver, etcd_port, api_port)
                )
                crds_loaded = pool.submit(load_crds)
                instancetypes_loaded = pool.submit(load_instancetypes)
                api = bootstrap.Api(self.server, self.token, self.ca_path)
                # The CRD API answers about a second before /readyz (which waits for bootstrap objects such as
                # priority classes): creating the CRDs meanwhile overlaps the two slowest steps.
                bootstrap.wait_until_ok(api, f"{bootstrap.CRD_COLLECTION}?limit=1", "serve the CRD API", self)
                crds = crds_loaded.result()
                plurals = {f"{crd.group}/{crd.kind}": crd.plural for crd in crds}
            with self.timings.step("crds-created"):
                list(pool.map(lambda crd: api.create(bootstrap.CRD_COLLECTION, crd.body), crds))
            with self.timings.step("apiserver-ready"):
                bootstrap.wait_until_ok(api, "/readyz", "be ready", self)
            credentials.write_kubeconfig(self.kubeconfig_path, self.server, self.ca_path, self.token)
            with self.timings.step("crds-established"):
                bootstrap.wait_established(api, crds, self)
            with self.timings.step("instancetypes+kubevirt+storageclasses"):
                jobs: list[Callable[[], None]] = [
                    partial(api.create, collection_path(obj, plurals[group_kind(obj)]), obj, 10.0)
                    for obj in instancetypes_loaded.result()
                ]
                jobs.append(partial(bootstrap.install_kubevirt_cr, api))
                jobs.extend(
                    partial(api.create, "/apis/storage.k8s.io/v1/storageclasses", storage_class)
                    for storage_class in STORAGE_CLASSES
                )
                list(pool.map(lambda job: job(), jobs))

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
        self._processes[name] = spawn(command, self.logs_dir / f"{name}.log", self.workdir, self._detached)

    # -- bootstrap.Watched --
    def failure(self, what: str) -> ControlPlaneError:
        parts = [f"The local control plane did not start: {what}."]
        for name in self._processes:
            log_path = self.logs_dir / f"{name}.log"
            parts.append(f"Last lines of {log_path}:\n{log_tail(log_path)}")
        return ControlPlaneError("\n".join(parts))

    def check_alive(self) -> None:
        for name, process in self._processes.items():
            if process.poll() is not None:
                raise self.failure(f"{name} exited with code {process.returncode}")

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
            stop_children(processes)
        self._processes.clear()
        forget_on_exit(self)
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


def _fast_temp_base() -> str | None:
    """``/dev/shm`` when writable (etcd fsyncs every write; tmpfs makes that free), else the default."""
    configured = os.environ.get("PULUMI_KUBEVIRT_DEVCLUSTER_TMPDIR")
    if configured:
        return configured
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
