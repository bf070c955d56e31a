"""kvplan in CI against the real API server: the workflow's plan step run by bash with the real kvplan, and an
insecure kubeconfig noticed once rather than warned about on every request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from .story_kit import Program, basic_fleet, server_side_apply

REPO = Path(__file__).resolve().parents[2]
GITHUB_WORKFLOW = REPO / "examples" / "ci" / "github" / "kvplan.yml"
KVPLAN = [sys.executable, "-c", "import sys; from pulumi_kubevirt.cli import main; sys.exit(main())"]


@pytest.fixture
def program(namespace: str, tmp_path: Path) -> Program:
    return Program(tmp_path / "fleet", "dev", basic_fleet(namespace)).write()


def insecure_kubeconfig(cluster: Any, path: Path) -> Path:
    """The test cluster without its CA: ``insecure-skip-tls-verify`` instead."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "lab", "cluster": {"server": cluster.server, "insecure-skip-tls-verify": True}}
        ],
        "users": [{"name": "lab", "user": {"token": cluster.token}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "lab"}}],
        "current-context": "lab",
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_an_insecure_kubeconfig_gives_one_notice_and_no_warning_per_request(
    cluster: Any, program: Program, tmp_path: Path
) -> None:
    kubeconfig = insecure_kubeconfig(cluster, tmp_path / "insecure.yaml")
    env = {**os.environ, "PYTHONWARNINGS": "always"}  # would show urllib3's warning on every request

    done = subprocess.run(
        [*KVPLAN, "plan", str(program.directory), "--stack", "dev", "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "+ 6 created" in done.stdout
    assert "InsecureRequestWarning" not in done.stderr
    notices = [line for line in done.stderr.splitlines() if "insecure-skip-tls-verify" in line]
    assert notices == [
        "Note: The kubeconfig cluster of lab sets insecure-skip-tls-verify: the API server's certificate is "
        "not checked, so anyone on the path can read and answer these requests; set certificate-authority "
        "(or certificate-authority-data) on that cluster entry instead."
    ]
    assert cluster.token not in done.stdout + done.stderr


def test_a_verified_kubeconfig_gives_no_tls_notice(cluster: Any, program: Program) -> None:
    done = subprocess.run(
        [
            *KVPLAN,
            "plan",
            str(program.directory),
            "--stack",
            "dev",
            "--kubeconfig",
            str(cluster.kubeconfig_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "insecure-skip-tls-verify" not in done.stderr


def test_the_workflow_plan_step_with_the_real_kvplan_records_the_gate_and_annotates(  # noqa: PLR0917 (fixtures)
    api_client: ApiClient, cluster: Any, program: Program, namespace: str, simulator: Any, tmp_path: Path
) -> None:
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)  # the VMs run, so a cores change needs a restart
    program.edit(["vms", "db", "cpu", "cores"], 4)
    program.extra_config = {"kubevirt:disruption": {"restart": "fail"}}
    program.write()
    runner = tmp_path / "runner"
    runner.mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTIONS": "true",
        "KUBECONFIG": str(cluster.kubeconfig_path),
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "STACK": "dev",
    }
    workflow = yaml.safe_load(GITHUB_WORKFLOW.read_text())
    script = next(s for s in workflow["jobs"]["plan"]["steps"] if s.get("name") == "kvplan plan")["run"]

    done = subprocess.run(
        ["bash", "-e", "-c", script],
        env=env,
        cwd=program.directory,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "output").read_text() == "exit-code=3\n"
    comment = (runner / "comment.md").read_text()
    lines = comment.splitlines()
    assert lines[:2] == ["<!-- kvplan:stack=dev -->", f"### Plan for stack `dev` on `{_context(cluster)}`"]
    assert "**The disruption gate of stack `dev` refused a change (kvplan exit 3).**" in comment
    assert "The disruption policy refuses a change in this plan:" in comment
    assert (tmp_path / "summary.md").read_text() == comment.removeprefix(lines[0] + "\n")
    annotations = [line for line in done.stderr.splitlines() if line.startswith("::")]
    assert annotations[0].startswith(f"::error title=kvplan restart (dev)%3A VirtualMachine {namespace}/db")
    assert "spec.template.spec.domain.cpu.cores: 2 -> 4" in annotations[0]


def _context(cluster: Any) -> str:
    return str(yaml.safe_load(Path(cluster.kubeconfig_path).read_text())["current-context"])
