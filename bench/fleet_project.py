"""A Pulumi project of N config-driven VMs, the shape of a real estate, for the scale benchmarks.

Each VM has a root disk from a registry image, cloud-init user data, an SSH key and a Service, spread over a
number of namespaces; the project's program is the repository's fleet program (copied, unchanged).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
PROJECT = "kubevirt-fleet"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8r0CkVdXZ0n1q6Y4kq6v1o1b1x3rT0e1J6M2b1Zq9X ops@example"


def namespaces(count: int, prefix: str = "estate") -> list[str]:
    """``count`` namespaces; each size of a run has its own ``prefix``: no size sees another's objects."""
    return [f"{prefix}-{index:02d}" for index in range(count)]


def fleet_config(vms: int, namespace_count: int, prefix: str = "estate") -> dict[str, Any]:
    """The ``kubevirt:fleet`` value of an estate of ``vms`` VMs over ``namespace_count`` namespaces."""
    names = namespaces(namespace_count, prefix)
    return {
        "namespaces": names,
        "defaults": {"storage_class": "standard", "wait_for": "none"},
        "vms": {
            f"vm-{index:05d}": {
                "namespace": names[index % namespace_count],
                "cpu": {"vcpus": 2, "max_sockets": 8},
                "memory": {"guest": "4Gi"},
                "root_disk": {
                    "image": {"registry": "docker://quay.io/containerdisks/fedora:40"},
                    "size": "20Gi",
                },
                "cloud_init": {"user_data": f"#cloud-config\nhostname: vm-{index:05d}\n"},
                "ssh_keys": {"keys": [SSH_KEY]},
                "service": {"ports": [{"name": "ssh", "port": 22}]},
            }
            for index in range(vms)
        },
    }


def write_project(
    directory: Path, stack: str, vms: int, namespace_count: int, prefix: str = "estate"
) -> Path:
    """``Pulumi.yaml``, ``Pulumi.<stack>.yaml`` and the fleet program in ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPOSITORY / "programs" / "fleet", directory / "fleet", dirs_exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": PROJECT, "runtime": "python", "main": "fleet"}), encoding="utf-8"
    )
    stack_doc = {"config": {"kubevirt:fleet": fleet_config(vms, namespace_count, prefix)}}
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(stack_doc), encoding="utf-8")
    return directory
