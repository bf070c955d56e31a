"""``kvplan plan/drift/show`` as a command: exit codes, colour, saved plans, and every way the input or the
cluster can be wrong, each ending in one clear message and never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s_client
from kubernetes.client import ApiClient

from pulumi_kubevirt import cli
from pulumi_kubevirt.cli.plan import use_colour
from pulumi_kubevirt.program.desired import desired_state_of_stack

from .story_kit import Program, Run, basic_fleet, kvplan, server_side_apply
from .test_live import FlakyProxy


@pytest.fixture
def kubeconfig(cluster: Any) -> str:
    return str(cluster.kubeconfig_path)


@pytest.fixture
def program(namespace: str, tmp_path: Path) -> Program:
    return Program(tmp_path / "fleet", "dev", basic_fleet(namespace)).write()


def no_traceback(run: Run) -> None:
    assert "Traceback" not in run.out + run.err
    assert 'File "' not in run.err


# --- exit codes and formats -----------------------------------------------------------------------


def test_a_first_plan_creates_everything_and_says_so_in_each_format(
    program: Program, kubeconfig: str, tmp_path: Path, namespace: str
) -> None:
    base = ("plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig)
    saved = tmp_path / "plan.json"

    text = kvplan(*base, "--out", str(saved))
    detailed = kvplan(*base, "--detailed-exitcode")
    markdown = kvplan(*base, "--format", "markdown")
    as_json = kvplan(*base, "--format", "json")

    assert (text.code, detailed.code, markdown.code, as_json.code) == (0, 2, 0, 0)
    assert "+ 6 created" in text.out
    assert f"VirtualMachine {namespace}/web" in text.out
    assert markdown.out.startswith("### Plan for stack `dev` on `")
    assert as_json.json["schema"] == "pulumi-kubevirt/plan"
    assert as_json.json["summary"]["created"] == 6
    assert json.loads(saved.read_text()) == as_json.json
    assert kvplan("show", str(saved)).out == text.out
    assert kvplan("show", str(saved), "--format", "markdown").out == markdown.out


def test_the_same_cluster_gives_byte_identical_plans(program: Program, kubeconfig: str) -> None:
    runs = [
        kvplan(
            "plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--format", "json"
        )
        for _ in range(2)
    ]
    assert runs[0].out == runs[1].out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("no_color", "coloured"),
    [pytest.param("", True, id="terminal"), pytest.param("1", False, id="terminal-with-NO_COLOR")],
)
def test_colour_only_on_a_terminal_without_no_color(
    program: Program, kubeconfig: str, monkeypatch: pytest.MonkeyPatch, no_color: str, coloured: bool
) -> None:
    monkeypatch.setenv("NO_COLOR", no_color)
    out = _Terminal()
    with contextlib.redirect_stdout(out):
        code = cli.main(["plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig])

    assert code == 0
    assert ("\033[" in out.getvalue()) is coloured
    assert use_colour(io.StringIO(), {}) is False


def test_drift_on_objects_never_applied_reports_each_as_deleted(program: Program, kubeconfig: str) -> None:
    run = kvplan(
        "drift", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--format", "json"
    )

    assert run.code == 2
    assert {f["kind"] for f in run.json["findings"]} == {"deleted"}
    assert len(run.json["findings"]) == 6


def test_a_namespace_that_left_the_code_is_read_on_request(
    api_client: ApiClient, program: Program, kubeconfig: str, namespace: str
) -> None:
    server_side_apply(api_client, program.manifests())
    moved = f"{namespace}-b"[:63]
    core = k8s_client.CoreV1Api(api_client)
    core.create_namespace(k8s_client.V1Namespace(metadata=k8s_client.V1ObjectMeta(name=moved)))
    try:
        program.edit(["defaults", "namespace"], moved)
        base = (
            "plan",
            str(program.directory),
            "--stack",
            "dev",
            "--kubeconfig",
            kubeconfig,
            "--format",
            "json",
        )

        blind = kvplan(*base).json["summary"]
        seeing = kvplan(*base, "--namespace", namespace).json["summary"]
    finally:
        core.delete_namespace(moved)

    assert (blind["created"], blind["deleted"] + blind["data_loss"]) == (6, 0)
    assert seeing["created"] == 6
    assert seeing["deleted"] + seeing["data_loss"] == 6


# --- wrong input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        pytest.param(["plan", "{tmp}/nowhere", "--stack", "dev"], "Not a Pulumi project:", id="no-project"),
        pytest.param(["plan", "{program}", "--stack", "prod"], "Unknown stack 'prod':", id="unknown-stack"),
        pytest.param(
            ["drift", "{program}", "--stack", "prod"], "Unknown stack 'prod':", id="drift-unknown-stack"
        ),
        pytest.param(
            ["plan", "{program}", "--stack", "dev", "--kubeconfig", "{tmp}/missing"],
            "Kubeconfig not found:",
            id="missing-kubeconfig",
        ),
        pytest.param(
            ["plan", "{program}", "--stack", "dev", "--kubeconfig", "{kubeconfig}", "--context", "nope"],
            "Kubernetes context not found:",
            id="unknown-context",
        ),
        pytest.param(
            [
                "plan",
                "{program}",
                "--stack",
                "dev",
                "--kubeconfig",
                "{kubeconfig}",
                "--out",
                "{tmp}/no/dir/p.json",
            ],
            "Cannot write the plan:",
            id="unwritable-out",
        ),
        pytest.param(["show", "{tmp}/absent.json"], "Cannot read the saved plan:", id="show-missing-file"),
        pytest.param(["show", "{tmp}/garbage.json"], "The saved plan is not JSON:", id="show-not-json"),
        pytest.param(["show", "{tmp}/other.json"], "Cannot show ", id="show-another-schema"),
    ],
)
def test_wrong_input_is_one_clear_message_and_exit_1(
    program: Program, kubeconfig: str, tmp_path: Path, argv: list[str], first_line: str
) -> None:
    (tmp_path / "garbage.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "other.json").write_text(
        json.dumps({"schema": "something/else", "version": 1}), encoding="utf-8"
    )
    values = {"tmp": str(tmp_path), "program": str(program.directory), "kubeconfig": kubeconfig}

    run = kvplan(*(arg.format(**values) for arg in argv))

    assert run.code == 1
    assert run.err.startswith(first_line), run.err
    assert run.out == ""
    no_traceback(run)


def test_a_plan_the_api_would_reject_exits_1_after_printing_it(
    api_client: ApiClient, program: Program, kubeconfig: str
) -> None:
    server_side_apply(api_client, program.manifests())
    program.edit(["disks", "db-data", "size"], "1Gi")

    run = kvplan(
        "plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--fail-on", "restart"
    )

    assert run.code == 1
    assert "x 1 error" in run.out
    assert "Keep the size at 10Gi or more" in run.out


# --- a cluster that is down or misbehaves ---------------------------------------------------------


def _kubeconfig_for(server: str, token: str, path: Path) -> str:
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: '{server}'}}}}]\n"
        f"users: [{{name: u, user: {{token: '{token}'}}}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n",
        encoding="utf-8",
    )
    return str(path)


def test_an_unreachable_cluster_is_one_clear_error(program: Program, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig_for("https://127.0.0.1:9", "secret-token-never-shown", tmp_path / "down")

    started = time.monotonic()
    run = kvplan("plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig)

    assert run.code == 1
    assert run.err.startswith("Cannot reach the Kubernetes API server")
    assert "secret-token-never-shown" not in run.err
    assert time.monotonic() - started < 20
    no_traceback(run)


@pytest.fixture
def proxy(cluster: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FlakyProxy, str]]:
    """The real API server behind a proxy that first answers ``failures`` requests with ``status``."""
    failures, status, retry_after = request.param
    server = FlakyProxy(cluster.server, cluster.ca_path, failures, status, retry_after)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, _kubeconfig_for(server.url, cluster.token, tmp_path / "proxy")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    "proxy",
    [
        pytest.param((2, 429, "1"), id="429-with-retry-after"),
        pytest.param((2, 500, None), id="500-then-fine"),
    ],
    indirect=True,
)
def test_throttling_and_server_errors_are_retried(proxy: tuple[FlakyProxy, str], program: Program) -> None:
    server, kubeconfig = proxy

    started = time.monotonic()
    run = kvplan(
        "plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--format", "json"
    )

    assert (run.code, run.err) == (0, "")
    assert run.json["summary"]["created"] == 6
    assert server.seen > server.failures
    if server.retry_after == "1":
        assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(
    "proxy",
    [pytest.param((10_000, 500, None), id="500-forever"), pytest.param((10_000, 429, "1"), id="429-forever")],
    indirect=True,
)
def test_a_server_that_keeps_failing_ends_in_a_clear_error(
    proxy: tuple[FlakyProxy, str], program: Program
) -> None:
    _, kubeconfig = proxy

    run = kvplan(
        "drift", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--timeout", "3"
    )

    assert run.code == 1
    assert run.err.startswith("The Kubernetes API server did not answer in time")
    assert "try again later" in run.err
    no_traceback(run)


def test_a_kind_the_cluster_does_not_serve_is_a_note_and_a_plan_error(
    namespace: str, kubeconfig: str, tmp_path: Path
) -> None:
    directory = tmp_path / "widgets"
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: widgets\nruntime: python\n", encoding="utf-8")
    (directory / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    (directory / "__main__.py").write_text(
        "from pulumi_kubernetes.apiextensions import CustomResource\n"
        f"CustomResource('w', api_version='example.com/v1', kind='Widget', metadata={{'name': 'w', "
        f"'namespace': '{namespace}'}}, spec={{'size': 1}})\n",
        encoding="utf-8",
    )

    run = kvplan("plan", str(directory), "--stack", "dev", "--kubeconfig", kubeconfig)

    assert run.code == 1
    notes = [line for line in run.err.splitlines() if line.startswith("Note: ")]
    assert any("Widget" in note for note in notes), run.err
    assert "The cluster does not serve Widget" in run.out + run.err
    no_traceback(run)


def test_a_namespace_the_program_creates_is_not_missing(
    program: Program, kubeconfig: str, namespace: str
) -> None:
    fresh = f"{namespace}-new"[:63]
    program.edit(["defaults", "namespace"], fresh)
    program.edit(["namespaces"], [fresh])

    run = kvplan(
        "plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--format", "json"
    )

    assert run.code == 0
    assert run.json["errors"] == []
    assert run.json["summary"]["created"] == 7


def test_secure_config_values_are_taken_as_unchanged_and_never_shown(
    api_client: ApiClient, program: Program, kubeconfig: str
) -> None:
    del program.fleet["vms"]["web"]["cloud_init"]["user_data"]
    program.extra_config = {"kubevirt:cloudInitUserData_web": {"secure": "v1:AAAAciphertext"}}
    program.write()
    decrypted = "#cloud-config\npassword: decrypted-by-the-pulumi-cli\n"
    applied = [
        {**m, "stringData": {"userdata": decrypted}} if m["metadata"]["name"] == "web-cloudinit" else m
        for m in program.manifests()
    ]
    server_side_apply(api_client, applied)
    base = ("--stack", "dev", "--kubeconfig", kubeconfig)

    planned = kvplan("plan", str(program.directory), *base, "--detailed-exitcode")
    drifted = kvplan("drift", str(program.directory), *base, "--format", "json")

    assert planned.code == 0
    assert "No changes" in planned.out
    assert "assumed unchanged: Secret " in planned.err
    assert drifted.code == 0
    for run in (planned, drifted):
        assert "decrypted-by-the-pulumi-cli" not in run.out + run.err


def test_a_saved_drift_report_is_shown_again(program: Program, kubeconfig: str, tmp_path: Path) -> None:
    base = ("drift", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig)
    saved = tmp_path / "drift.json"
    saved.write_text(kvplan(*base, "--format", "json").out, encoding="utf-8")

    shown = kvplan("show", str(saved))

    assert shown.code == 0
    assert shown.out == kvplan(*base).out


# --- the disruption gate: the stack's kubevirt:disruption, --fail-on replacing it -----------------


def test_the_stack_disruption_policy_gates_kvplan_plan_naming_the_rule(
    api_client: ApiClient, program: Program, kubeconfig: str, namespace: str, simulator: Any
) -> None:
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)  # the VMs run, so a cores change needs a restart
    program.edit(["vms", "db", "cpu", "cores"], 4)
    program.extra_config = {"kubevirt:disruption": {"restart": "fail"}}
    program.write()
    base = ("plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig)

    gated = kvplan(*base, "--detailed-exitcode")
    replaced = kvplan(*base, "--fail-on", "destroys-data", "--detailed-exitcode")

    assert gated.code == 3
    assert f"VirtualMachine {namespace}/db" in gated.out
    title, problem = gated.err.splitlines()
    assert title == "The disruption policy refuses a change in this plan:"
    assert problem.startswith(
        f"  - VirtualMachine {namespace}/db: spec.template.spec.domain.cpu.cores: 2 -> 4; impact restart, "
        "which kubevirt:disruption.restart refuses. "
    )
    assert "pulumi config set --path 'kubevirt:disruption.restart' warn." in gated.err
    assert (replaced.code, replaced.err) == (2, "")


def test_fail_on_replaces_a_lenient_stack_policy(
    api_client: ApiClient, program: Program, kubeconfig: str, namespace: str, simulator: Any
) -> None:
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    program.edit(["vms", "db", "cpu", "cores"], 4)
    program.extra_config = {"kubevirt:disruption": {"restart": "allow"}}
    program.write()
    base = ("plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig)

    lenient = kvplan(*base)
    strict = kvplan(*base, "--fail-on", "restart")

    assert (lenient.code, lenient.err) == (0, "")
    assert strict.code == 3
    assert "which --fail-on restart refuses" in strict.err


REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_repository_prod_stack_exits_3_on_a_change_its_policy_forbids(
    api_client: ApiClient, kubeconfig: str, tmp_path: Path
) -> None:
    project = tmp_path / "prod"
    project.mkdir()
    pulumi_yaml = (REPOSITORY / "Pulumi.yaml").read_text(encoding="utf-8")
    (project / "Pulumi.yaml").write_text(
        pulumi_yaml.replace("main: programs/fleet", f"main: {REPOSITORY / 'programs' / 'fleet'}"),
        encoding="utf-8",
    )
    stack_text = (REPOSITORY / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    (project / "Pulumi.prod.yaml").write_text(stack_text, encoding="utf-8")
    applied = desired_state_of_stack(project, "prod").manifests
    server_side_apply(api_client, applied)
    base = ("plan", str(project), "--stack", "prod", "--kubeconfig", kubeconfig)
    try:
        unchanged = kvplan(*base, "--detailed-exitcode")
        new_image = "docker://registry.shop.example/images/web:2026.12"
        edited = stack_text.replace("docker://registry.shop.example/images/web:2026.11", new_image, 1)
        assert edited != stack_text
        (project / "Pulumi.prod.yaml").write_text(edited, encoding="utf-8")
        refused = kvplan(*base)
    finally:
        k8s_client.CoreV1Api(api_client).delete_namespace("shop-prod")

    assert unchanged.code == 0, unchanged.out + unchanged.err
    assert refused.code == 3, refused.out + refused.err
    assert "DataVolume shop-prod/web-1-root: " in refused.err
    assert "; impact destroys-data, which kubevirt:disruption.destroys-data refuses." in refused.err
    no_traceback(refused)


# --- every failure in one shape ---------------------------------------------------------------------


def assert_one_shape(text: str) -> None:
    """A title line ending in a colon (with the count when there are several), then one problem per line."""
    lines = text.rstrip("\n").split("\n")
    title, problems = lines[0], lines[1:]
    assert re.fullmatch(r"[^\s-].*:", title), text
    assert problems, text
    for line in problems:
        assert re.fullmatch(r"  - \S.*[.!?]", line), line
    counted = re.search(r"\((\d+) problems\):$", title)
    assert len(problems) == (int(counted.group(1)) if counted else 1), text


def write_stack(program: Program, config: dict[str, Any]) -> None:
    program.extra_config = config
    program.write()


@pytest.mark.parametrize(
    ("argv", "prepare", "title"),
    [
        pytest.param(
            ["--kubeconfig", "{tmp}/missing"], None, "Kubeconfig not found:", id="kubeconfig-missing"
        ),
        pytest.param(
            ["--kubeconfig", "{kubeconfig}", "--context", "nope"],
            None,
            "Kubernetes context not found:",
            id="context-unknown",
        ),
        pytest.param(
            ["--kubeconfig", "{unreachable}", "--timeout", "5"],
            None,
            "Cannot reach the Kubernetes API server:",
            id="unreachable-cluster",
        ),
        pytest.param(
            ["--kubeconfig", "{kubeconfig}", "--stack", "qa"], None, "Unknown stack 'qa':", id="stack-missing"
        ),
        pytest.param(
            ["--kubeconfig", "{kubeconfig}"],
            {"kubevirt:disruption": {"restart": "refuse", "reboot": "warn"}},
            "Invalid kubevirt:disruption (2 problems):",
            id="bad-disruption-config",
        ),
        pytest.param(
            ["--kubeconfig", "{kubeconfig}"],
            {"kubevirt:disruption": "fail"},
            "Invalid kubevirt:disruption:",
            id="disruption-not-a-map",
        ),
        pytest.param(
            ["--kubeconfig", "{kubeconfig}"],
            {"kubevirt:fleet": {"defaults": {"namespace": "x"}, "vms": {"web": {"memroy": "2Gi"}}}},
            "The fleet configuration (kubevirt:fleet) is not valid",
            id="bad-fleet-config",
        ),
        pytest.param(
            ["--kubeconfig", "{kubeconfig}", "--fail-on", "reboot"],
            None,
            "Invalid command line:",
            id="bad-flag",
        ),
    ],
)
def test_every_user_mistake_is_one_shape_exit_1_and_no_traceback(
    *,
    program: Program,
    kubeconfig: str,
    tmp_path: Path,
    argv: list[str],
    prepare: dict[str, Any] | None,
    title: str,
) -> None:
    if prepare is not None:
        write_stack(program, prepare)
    unreachable = _kubeconfig_for("https://127.0.0.1:9", "never-shown-token", tmp_path / "down")
    values = {"tmp": str(tmp_path), "kubeconfig": kubeconfig, "unreachable": unreachable}
    stack = [] if "--stack" in argv else ["--stack", "dev"]

    run = kvplan("plan", str(program.directory), *stack, *(arg.format(**values) for arg in argv))

    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith(title), run.err
    assert_one_shape(run.err)
    assert "never-shown-token" not in run.err
    no_traceback(run)
