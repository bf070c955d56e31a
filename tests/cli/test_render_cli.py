"""``kvplan render`` and ``kvplan validate`` on the stacks and examples: golden output, exit codes, secrets.

Golden files live in ``tests/golden/render/``; refresh them with ``pytest --update-golden`` (or
``UPDATE_GOLDEN=1``) and review the diff. That the output is the same bytes in every process (whatever the
hash seed) is ``test_determinism.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_kubevirt.cli import main
from pulumi_kubevirt.program.desired import SECURE_PLACEHOLDER, desired_state_of_stack
from pulumi_kubevirt.spec.upstream import validate_against_upstream

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "render"

TARGETS = [
    pytest.param(REPO, "dev", "stack-dev", id="stack-dev"),
    pytest.param(REPO, "staging", "stack-staging", id="stack-staging"),
    pytest.param(REPO, "prod", "stack-prod", id="stack-prod"),
    pytest.param(
        REPO / "examples" / "linux-cloud-init", "dev", "example-linux-cloud-init", id="linux-cloud-init"
    ),
    pytest.param(
        REPO / "examples" / "vlan-bridge-data-disk", "dev", "example-vlan-bridge-data-disk", id="vlan-bridge"
    ),
    pytest.param(
        REPO / "examples" / "windows-uefi-tpm", "dev", "example-windows-uefi-tpm", id="windows-uefi-tpm"
    ),
]


def kvplan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def secure_values(program_dir: Path) -> list[str]:
    """Every ``secure:`` ciphertext in the program's stack files."""
    found: list[str] = []
    for stack_file in program_dir.glob("Pulumi.*.yaml"):
        found += re.findall(r"secure:\s*(\S+)", stack_file.read_text(encoding="utf-8"))
    return found


@pytest.mark.parametrize(("program_dir", "stack", "golden"), TARGETS)
def test_render_matches_golden(
    capsys: pytest.CaptureFixture[str], update_golden: bool, program_dir: Path, stack: str, golden: str
) -> None:
    code, out, err = kvplan(capsys, "render", str(program_dir), "--stack", stack)
    assert (code, err) == (0, "")
    path = GOLDEN / f"{golden}.yaml"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8"), f"run pytest --update-golden and review {path}"


@pytest.mark.parametrize(("program_dir", "stack", "golden"), TARGETS)
def test_every_object_passes_the_strict_upstream_schemas(program_dir: Path, stack: str, golden: str) -> None:
    result = desired_state_of_stack(program_dir, stack)
    assert result.manifests
    problems = [
        problem.line() for manifest in result.manifests for problem in validate_against_upstream(manifest)
    ]
    assert problems == []


@pytest.mark.parametrize(("program_dir", "stack", "golden"), TARGETS)
def test_validate_exits_zero_on_a_valid_stack(
    capsys: pytest.CaptureFixture[str], program_dir: Path, stack: str, golden: str
) -> None:
    code, out, err = kvplan(capsys, "validate", str(program_dir), "--stack", stack)
    assert (code, err) == (0, "")
    assert re.fullmatch(rf"Stack {stack}: all \d+ objects are valid against the upstream schemas\.\n", out)


@pytest.mark.parametrize(("program_dir", "stack", "golden"), TARGETS)
def test_secure_values_and_cloud_init_never_appear_in_output(
    capsys: pytest.CaptureFixture[str], program_dir: Path, stack: str, golden: str
) -> None:
    _, out, _ = kvplan(capsys, "render", str(program_dir), "--stack", stack)
    for ciphertext in secure_values(program_dir):
        assert ciphertext not in out
    assert SECURE_PLACEHOLDER not in out
    assert "#cloud-config" not in out, "cloud-init user data belongs to Secrets, which are redacted"
    for document in yaml.safe_load_all(out):
        if document["kind"] == "Secret":
            assert set(document["stringData"].values()) == {"<redacted>"}


def test_staging_and_prod_really_use_secure_values() -> None:
    for stack in ("staging", "prod"):
        assert secure_values(REPO), "the stack files must carry a secure: value to prove redaction"
        result = desired_state_of_stack(REPO, stack)
        real = [m for m in result.manifests if m["metadata"]["name"] == "db-cloudinit"]
        assert real[0]["stringData"]["userdata"] == SECURE_PLACEHOLDER


def test_render_writes_the_same_yaml_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "dev.yaml"
    code, out, err = kvplan(capsys, "render", str(REPO), "--stack", "dev", "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == (GOLDEN / "stack-dev.yaml").read_text(encoding="utf-8")


# --- errors ---------------------------------------------------------------------------------------


def fleet_project(tmp_path: Path, stack: str, stack_text: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: broken-fleet\nruntime: python\nmain: {REPO / 'programs' / 'fleet'}\n", encoding="utf-8"
    )
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(textwrap.dedent(stack_text), encoding="utf-8")
    return tmp_path


BROKEN_STACK = """\
config:
  kubevirt:cloudInitUserData_web:
    secure: v1:AAABAGJyb2tlbi1zdGFjay1mYWtlLWNpcGhlcnRleHQ=
  kubevirt:fleet:
    defaults: {namespace: dev}
    disks:
      data: {size: 10 GB}
    vms:
      web:
        memroy: 2Gi
        cloud_init:
          user_data: "#cloud-config"
      Db:
        memory: 4Gi
        disks: [scratch]
"""


@pytest.mark.parametrize("command", ["render", "validate"])
def test_broken_stack_fails_with_every_problem_and_no_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    project = fleet_project(tmp_path, "broken", BROKEN_STACK)
    code, out, err = kvplan(capsys, command, str(project), "--stack", "broken")
    assert (code, out) == (1, "")
    assert err.startswith("The fleet configuration (kubevirt:fleet) is not valid (")
    for expected in ("fleet.disks.data.size", "fleet.vms.web.memroy", "fleet.vms.web.cloud_init.user_data"):
        assert expected in err
    assert "Traceback" not in err
    assert "AAABAGJyb2tlbi" not in err


def test_validate_lists_every_schema_problem_of_a_raw_program(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: raw\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """\
            import pulumi_kubernetes as k8s

            k8s.apiextensions.CustomResource(
                "vm",
                api_version="kubevirt.io/v1",
                kind="VirtualMachine",
                metadata={"name": "raw", "namespace": "dev"},
                spec={
                    "runStrategy": "Sometimes",
                    "template": {"spec": {"domain": {"devices": {}}}},
                    "colour": 1,
                },
            )
            """
        ),
        encoding="utf-8",
    )
    code, out, err = kvplan(capsys, "validate", str(tmp_path), "--stack", "dev")
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].startswith("Stack dev: ")
    assert any("VirtualMachine dev/raw: spec.runStrategy" in line for line in lines)
    assert any("colour" in line for line in lines)
    assert all(line.startswith("  - ") for line in lines[1:])


def no_project(program_dir: Path) -> None:
    del program_dir


def project_without_stack(program_dir: Path) -> None:
    (program_dir / "Pulumi.yaml").write_text("name: x\nruntime: python\n", encoding="utf-8")
    (program_dir / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    (program_dir / "__main__.py").write_text("", encoding="utf-8")


def project_without_program(program_dir: Path) -> None:
    (program_dir / "Pulumi.yaml").write_text("name: x\nruntime: python\nmain: src\n", encoding="utf-8")


def broken_yaml(program_dir: Path) -> None:
    (program_dir / "Pulumi.yaml").write_text("name: [unclosed\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("setup", "stack", "message"),
    [
        pytest.param(no_project, "dev", "Not a Pulumi project:\n", id="no-pulumi-yaml"),
        pytest.param(project_without_stack, "qa", "Unknown stack 'qa':\n", id="unknown-stack"),
        pytest.param(project_without_program, "dev", "Cannot find the Pulumi program:\n", id="no-program"),
        pytest.param(broken_yaml, "dev", "Cannot read Pulumi.yaml:\n", id="bad-yaml"),
    ],
)
def test_project_errors_are_messages(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    setup: Callable[[Path], None],
    stack: str,
    message: str,
) -> None:
    setup(tmp_path)
    code, out, err = kvplan(capsys, "render", str(tmp_path), "--stack", stack)
    assert (code, out) == (1, "")
    assert err.startswith(message)
    assert "Traceback" not in err


def test_a_bug_in_the_program_names_its_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: buggy\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n\nsizes = {}\nsizes['web'] += 1\n", encoding="utf-8"
    )
    code, _, err = kvplan(capsys, "render", str(tmp_path), "--stack", "dev")
    assert code == 1
    assert "raised KeyError at " in err
    assert "__main__.py:4" in err
    assert "Traceback" not in err


def test_the_installed_kvplan_entry_point_renders_the_dev_stack() -> None:
    kvplan_bin = Path(sys.executable).with_name("kvplan")
    done = subprocess.run(
        [str(kvplan_bin), "render", ".", "--stack", "dev"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (GOLDEN / "stack-dev.yaml").read_text(encoding="utf-8")
