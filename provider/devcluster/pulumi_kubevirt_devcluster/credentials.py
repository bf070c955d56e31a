"""The control plane's credentials: a CA, a serving certificate for 127.0.0.1, a service-account key, an admin
token, and the kubeconfig that carries them. Everything secret is written readable by its owner only."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import yaml

from pulumi_kubevirt_devcluster.errors import ControlPlaneError, tail

CLUSTER_NAME = "pulumi-kubevirt-dev"


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (it holds a token or a key)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)
    os.chmod(path, 0o600)


def make_certificates(openssl: Path, pki: Path) -> None:
    """``ca.crt``/``ca.key``, ``apiserver.crt``/``apiserver.key`` and ``service-account.key`` in ``pki``.

    EC P-256 keys: generating them is fast, and the start of every test session waits for it.
    """
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
                f"{tail(result.stderr.splitlines())}"
            )


def write_token_file(path: Path, token: str) -> None:
    """kube-apiserver's ``--token-auth-file``: one admin in ``system:masters``."""
    write_private(path, f'{token},admin,admin,"system:masters"\n')


def write_kubeconfig(path: Path, server: str, ca_path: Path, token: str) -> None:
    """A kubeconfig for ``server`` with the CA inline and the admin token; private to its owner."""
    ca_data = base64.b64encode(ca_path.read_bytes()).decode()
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": CLUSTER_NAME, "cluster": {"server": server, "certificate-authority-data": ca_data}}
        ],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": "admin"}}],
        "current-context": CLUSTER_NAME,
        "preferences": {},
    }
    write_private(path, yaml.safe_dump(kubeconfig, sort_keys=True))
