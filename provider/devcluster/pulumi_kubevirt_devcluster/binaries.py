"""Where etcd, kube-apiserver and openssl come from: ``KUBEBUILDER_ASSETS``, ``PATH``, or a per-version cache
that is filled once by building kube-apiserver from Debian's source package (``build-kube-apiserver.sh``).

See ``../shared/docs/TEST-CLUSTER.md`` for why the build patches kube-apiserver 1.20.2.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pulumi_kubevirt_devcluster.errors import ControlPlaneError, tail

KUBE_APISERVER_VERSION = "v1.20.2"
BUILD_SCRIPT = Path(__file__).with_name("build-kube-apiserver.sh")


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
                f"{tail(result.stderr.splitlines())}\nInstall {' '.join(packages)} yourself and retry."
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
                f"Last lines:\n{tail(lines)}"
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
