"""kvplan in CI: the recipes users copy (validated against the published schemas), the Markdown they post
(parsed as CommonMark with GFM tables), the comment size limit, and GitHub workflow annotations."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from pulumi_kubevirt.cli import main as kvplan_main
from pulumi_kubevirt.cli.plan import json_text
from pulumi_kubevirt.compile.compiler import ALLOW_DATA_LOSS_ANNOTATION
from pulumi_kubevirt.plan.gate import DisruptionPolicy, judge
from pulumi_kubevirt.plan.model import Impact, Plan
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.report.github import Annotations, Level, command, drift_commands, plan_commands
from pulumi_kubevirt.plan.report.json_codec import plan_to_json
from pulumi_kubevirt.plan.report.markdown import render_drift_markdown, render_markdown

from .plan import builders as b
from .plan.test_render import NEW_PASSWORD, OLD_PASSWORD, drift_findings, review_plan

REPO = Path(__file__).resolve().parents[2]
GITHUB_WORKFLOW = REPO / "examples" / "ci" / "github" / "kvplan.yml"
GITLAB_PIPELINE = REPO / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
COMMENT_LIMIT = 65536
"""GitHub's limit on an issue or pull-request comment body, in characters."""


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """The maintained validator with its vendored copy of the published schema: no network."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


# --- the recipes validate against the published schemas ----------------------------------------------


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        pytest.param("vendor.github-workflows", GITHUB_WORKFLOW, id="github-actions"),
        pytest.param("vendor.gitlab-ci", GITLAB_PIPELINE, id="gitlab-ci"),
    ],
)
def test_the_ci_recipes_validate_against_the_published_schemas(schema: str, path: Path) -> None:
    result = check_jsonschema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize(
    ("schema", "path", "job", "breakage"),
    [
        pytest.param(
            "vendor.github-workflows",
            GITHUB_WORKFLOW,
            "plan",
            {"runs-on": None},
            id="github-job-without-runner",
        ),
        pytest.param(
            "vendor.gitlab-ci", GITLAB_PIPELINE, "kvplan-plan", {"stage": 7}, id="gitlab-stage-number"
        ),
    ],
)
def test_the_validator_rejects_a_broken_copy(
    schema: str, path: Path, job: str, breakage: dict[str, Any], tmp_path: Path
) -> None:
    """The validation above could fail: the same file with one job broken is refused."""
    document = yaml.safe_load(path.read_text())
    jobs = document.get("jobs", document)
    for key, value in breakage.items():
        if value is None:
            del jobs[job][key]
        else:
            jobs[job][key] = value
    broken = tmp_path / path.name
    broken.write_text(yaml.safe_dump(document))
    result = check_jsonschema(schema, broken)
    assert result.returncode == 1
    assert "Schema validation errors were encountered." in result.stdout + result.stderr


def _github() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(GITHUB_WORKFLOW.read_text())
    return document


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    return next(step for step in job["steps"] if step.get("name") == name)


def test_the_github_workflow_plans_each_stack_on_pull_requests_applies_on_merge_and_checks_drift() -> None:
    workflow = _github()
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as the boolean true
    assert set(triggers) >= {"pull_request", "push", "schedule"}
    assert triggers["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    for name in ("plan", "apply", "drift"):
        assert jobs[name]["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"], name
    plan = jobs["plan"]
    assert "github.event_name == 'pull_request'" in plan["if"]
    assert 'pulumi preview --stack "$STACK"' in _step(plan, "pulumi preview")["run"]
    kvplan_step = _step(plan, "kvplan plan")["run"]
    assert 'kvplan plan . --stack "$STACK" --format markdown' in kvplan_step
    assert '>> "$GITHUB_STEP_SUMMARY"' in kvplan_step
    comment = _step(plan, "Comment on the pull request (one comment per stack, updated)")
    script = comment["with"]["script"]
    assert "<!-- kvplan:stack=${process.env.STACK} -->" in script
    assert "updateComment" in script
    assert "c.body.startsWith(marker)" in script
    assert '"$GITHUB_OUTPUT"' in kvplan_step
    assert _step(plan, "Fail on a kvplan error or a refused change")["if"] == (
        "steps.kvplan.outputs.exit-code != '0'"
    )
    assert 'pulumi up --stack "${{ matrix.stack }}"' in _step(jobs["apply"], "pulumi up")["run"]
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False
    drift = _step(jobs["drift"], "kvplan drift")["run"]
    assert 'kvplan drift . --stack "$STACK" --format markdown' in drift
    issue = _step(jobs["drift"], "Open, update or close the stack's drift issue")["with"]["script"]
    assert "issues.create" in issue
    assert "issues.update" in issue
    assert 'state: "closed"' in issue


def test_the_gitlab_pipeline_plans_each_stack_on_merge_requests_applies_on_merge_and_checks_drift() -> None:
    pipeline = yaml.safe_load(GITLAB_PIPELINE.read_text())
    assert pipeline[".stacks"]["parallel"]["matrix"] == [{"STACK": ["dev", "staging", "prod"]}]
    plan = pipeline["kvplan-plan"]
    assert plan["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    script = "\n".join(plan["script"])
    assert 'pulumi preview --stack "$STACK"' in script
    assert 'kvplan plan . --stack "$STACK" --format markdown' in script
    assert "post_to_gitlab.py merge-request-note" in script
    assert plan["script"][-1] == 'test "$code" = 0'
    assert 'pulumi up --stack "$STACK"' in "\n".join(pipeline["pulumi-up"]["script"])
    assert "post_to_gitlab.py drift-issue" in "\n".join(pipeline["kvplan-drift"]["script"])
    assert (GITLAB_PIPELINE.parent / "ci" / "post_to_gitlab.py").is_file()


# --- the plan step of the workflow, run by bash as the runner would ---------------------------------


def allowing_data_loss(manifest: dict[str, Any]) -> dict[str, Any]:
    """The disk's ``allow_data_loss`` (an annotation the compiler writes): its replacement is gated, not
    refused."""
    manifest["metadata"].setdefault("annotations", {})[ALLOW_DATA_LOSS_ANNOTATION] = "true"
    return manifest


@functools.cache
def large_plan() -> Plan:
    """600 VMs, each with a restart and a replaced root disk (allowed to lose its data, so the disruption
    gate decides): several comments' worth of Markdown."""
    applied: list[Any] = []
    desired: list[Any] = []
    for i in range(600):
        applied += [b.vm(f"vm{i}"), b.data_volume(f"vm{i}-root")]
        desired += [
            b.vm(f"vm{i}", cores=2),
            allowing_data_loss(b.data_volume(f"vm{i}-root", url="https://images.example/b.qcow2")),
        ]
    return make_plan(desired, b.state(b.running(applied)), project=b.PROJECT, stack=b.STACK)


KVPLAN_STANDING_IN = """\
import os, shutil, subprocess, sys
saved, code = {saved!r}, {code}
kvplan = [sys.executable, "-c", "import sys; from pulumi_kubevirt.cli import main; sys.exit(main())"]
args = sys.argv[1:]
if args[0] != "plan":
    sys.exit(subprocess.run([*kvplan, *args]).returncode)
shutil.copy(saved, args[args.index("--out") + 1])
sys.stdout.flush()
shown = subprocess.run(
    [*kvplan, "show", saved, "--format", args[args.index("--format") + 1],
     "--max-chars", args[args.index("--max-chars") + 1]]
)
print("::error title=kvplan restart (prod)::gated", file=sys.stderr)
print("The disruption policy refuses a change in this plan:", file=sys.stderr)
sys.exit(shown.returncode or code)
"""


def run_plan_step(tmp_path: Path, plan: Plan, exit_code: int) -> tuple[str, str, str]:
    """The workflow's ``kvplan plan`` step under bash. ``kvplan plan`` stands for a run that planned ``plan``
    and exited ``exit_code``: it renders through the real ``kvplan show`` with the options the step gave;
    every other kvplan command is the real one (the cluster tests run the step with the real kvplan plan)."""
    saved = tmp_path / "saved-plan.json"
    saved.write_text(json_text(plan_to_json(plan)), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kvplan"
    fake.write_text(
        f"#!{sys.executable}\n" + KVPLAN_STANDING_IN.format(saved=str(saved), code=exit_code),
        encoding="utf-8",
    )
    fake.chmod(0o755)
    runner = tmp_path / "runner"
    runner.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "STACK": "prod",
    }
    script = _step(_github()["jobs"]["plan"], "kvplan plan")["run"]
    done = subprocess.run(
        ["bash", "-e", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return (
        (runner / "comment.md").read_text(encoding="utf-8"),
        (tmp_path / "summary.md").read_text(encoding="utf-8"),
        (tmp_path / "output").read_text(),
    )


def test_a_large_plan_is_folded_into_one_comment_and_shown_whole_in_the_job_summary(tmp_path: Path) -> None:
    plan = large_plan()
    whole = render_markdown(plan, max_chars=10**9)
    assert len(whole) > 4 * COMMENT_LIMIT

    comment, summary, output = run_plan_step(tmp_path, plan, 3)

    assert output == "exit-code=3\n"
    assert 60_000 < len(comment) <= COMMENT_LIMIT
    assert comment.splitlines()[0] == "<!-- kvplan:stack=prod -->"
    tokens = _parser().parse(comment)
    assert _inline_after(tokens, "heading_open") == "Plan for stack prod on prod-east"
    rows = _table_rows(tokens)
    assert rows[0] == ["", "Resource", "Action", "Impact"]
    shown = [row for row in rows[1:] if row[2] in ("update", "replace")]
    assert 0 < len(shown) < 1200
    assert shown[0][1:] == ["DataVolume prod/vm0-root", "replace", "destroys-data"]
    folded = [t.content for t in _inline_children(tokens) if "Folded to stay under 60,000" in t.content]
    assert folded, "the comment says what was folded"
    assert "**The disruption gate of stack `prod` refused a change (kvplan exit 3).**" in comment
    assert comment.rstrip().endswith("~~~")
    assert whole in summary
    assert "refused a change" in summary


def test_a_gated_plan_comment_says_so_and_keeps_the_refusal_but_not_the_annotations(tmp_path: Path) -> None:
    comment, summary, output = run_plan_step(tmp_path, review_plan(), 3)

    assert output == "exit-code=3\n"
    assert "**The disruption gate of stack `prod` refused a change (kvplan exit 3).**" in comment
    assert "The disruption policy refuses a change in this plan:" in comment
    assert "::error" not in comment
    assert comment.removeprefix("<!-- kvplan:stack=prod -->\n") == summary


# --- the Markdown is CommonMark with GFM tables, structured as intended ------------------------------


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _inline_after(tokens: list[Token], opening: str) -> str:
    index = next(i for i, t in enumerate(tokens) if t.type == opening)
    inline = tokens[index + 1]
    return "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))


def _inline_children(tokens: list[Token]) -> list[Token]:
    return [child for t in tokens if t.type == "inline" for child in t.children or []]


def _table_rows(tokens: list[Token]) -> list[list[str]]:
    """Each table row's cells as plain text (code spans unwrapped), header rows included."""
    rows: list[list[str]] = []
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            rows[-1].append(
                "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))
            )
    return rows


def test_the_plan_markdown_parses_to_a_heading_naming_stack_and_cluster_a_table_and_folded_details() -> None:
    plan = review_plan()
    tokens = _parser().parse(render_markdown(plan))

    assert tokens[0].type == "heading_open"
    assert tokens[0].tag == "h3"
    assert _inline_after(tokens, "heading_open") == "Plan for stack prod on prod-east"
    rows = _table_rows(tokens)
    assert rows[0] == ["", "Resource", "Action", "Impact"]
    changed = [r for r in plan.resources if str(r.action) != "no-op"]
    summary_rows = rows[1 : 1 + len(changed)]
    # worst first: a disk that loses data, then one whose growth is refused (both are plan errors)
    assert [row[1] for row in summary_rows][:2] == ["DataVolume prod/web-root", "DataVolume prod/db-root"]
    assert ["Field", "Live", "Desired", "Impact", "Why"] in rows
    html = [t.content.strip() for t in tokens if t.type == "html_block"]
    opened = [h for h in html if h.startswith("<details><summary>")]
    assert len(opened) == html.count("</details>") >= 3
    assert "<details><summary>DataVolume prod/web-root: replace, DESTROYS DATA</summary>" in opened
    assert OLD_PASSWORD not in render_markdown(plan)
    assert NEW_PASSWORD not in render_markdown(plan)


def test_the_drift_markdown_parses_to_a_heading_and_a_table_of_findings() -> None:
    tokens = _parser().parse(render_drift_markdown(drift_findings(), cluster="prod-east", stack="prod"))

    assert _inline_after(tokens, "heading_open") == "Drift for stack prod on prod-east"
    rows = _table_rows(tokens)
    assert rows[0] == ["Kind", "Object", "Field", "Desired", "Live", "Changed by", "When"]
    assert ["modified", "VirtualMachine prod/web", "spec.runStrategy"] in [row[:3] for row in rows]


# --- GitHub workflow commands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "message", "expected"),
    [
        pytest.param("kvplan restart", "plain", "::error title=kvplan restart::plain", id="plain"),
        pytest.param(
            "VirtualMachine prod/db: spec",
            "a\n::error::injected",
            "::error title=VirtualMachine prod/db%3A spec::a%0A::error::injected",
            id="newline-cannot-start-another-command",
        ),
        pytest.param("50%, then", "100%\r", "::error title=50%25%2C then::100%25%0D", id="percent-comma-cr"),
    ],
)
def test_workflow_commands_are_escaped_as_the_runner_parses_them(
    title: str, message: str, expected: str
) -> None:
    line = command(Level.ERROR, title, message)
    assert line == expected
    assert "\n" not in line


def test_a_gated_plan_annotates_its_rejected_and_refused_changes_as_errors_and_warned_ones_as_warnings() -> (
    None
):
    plan = review_plan()
    verdict = judge(plan, DisruptionPolicy.fail_on(Impact.DESTROYS_DATA))

    lines = plan_commands(plan, verdict)

    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(lines) == len(errors) + len(warnings)
    assert errors[0].startswith(
        "::error title=kvplan rejected change (prod)%3A DataVolume prod/db-root "
        "spec.storage.resources.requests.storage::"
    )
    assert len(errors) == len(plan.all_errors) + len(verdict.refused)
    assert len(warnings) == len(verdict.warned) > 0
    assert any(
        line.startswith("::error title=kvplan destroys-data (prod)%3A DataVolume prod/web-root")
        for line in errors
    )
    assert all(OLD_PASSWORD not in line and NEW_PASSWORD not in line for line in lines)


def test_a_plan_without_errors_under_an_allowing_policy_has_no_annotations() -> None:
    desired = b.stack()
    plan = make_plan(desired, b.state(b.running(desired)), project=b.PROJECT, stack=b.STACK)
    assert plan_commands(plan, judge(plan, DisruptionPolicy.default())) == ()


def test_drift_annotations_warn_per_drifted_field_and_never_show_the_secret() -> None:
    lines = drift_commands(drift_findings())
    assert lines
    assert all(line.startswith("::warning title=kvplan drift ") for line in lines)
    assert any("spec.runStrategy" in line for line in lines)
    assert all("new-secret-value" not in line for line in lines)


@pytest.mark.parametrize(
    ("mode", "environ", "active"),
    [
        pytest.param(Annotations.AUTO, {"GITHUB_ACTIONS": "true"}, True, id="auto-on-actions"),
        pytest.param(Annotations.AUTO, {}, False, id="auto-elsewhere"),
        pytest.param(Annotations.NONE, {"GITHUB_ACTIONS": "true"}, False, id="none-on-actions"),
        pytest.param(Annotations.GITHUB, {}, True, id="github-elsewhere"),
    ],
)
def test_annotations_follow_the_flag_or_the_runner(
    mode: Annotations, environ: dict[str, str], active: bool
) -> None:
    assert mode.active(environ) is active


@pytest.mark.parametrize("max_chars", [1000, 5000, 60_000], ids=lambda n: f"max-{n}")
def test_kvplan_show_folds_markdown_to_max_chars(
    max_chars: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(json_text(plan_to_json(large_plan())), encoding="utf-8")

    code = kvplan_main(["show", str(saved), "--format", "markdown", "--max-chars", str(max_chars)])

    markdown = capsys.readouterr().out
    assert code == 0
    assert max_chars - 2000 < len(markdown) <= max_chars
    assert markdown.startswith("### Plan for stack `prod` on `prod-east`\n")
    assert f"Folded to stay under {max_chars:,} characters" in markdown


@pytest.mark.parametrize("value", ["999", "-1", "lots"])
def test_a_max_chars_too_small_or_not_a_number_is_refused_naming_the_option(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = kvplan_main(["show", str(tmp_path / "plan.json"), "--max-chars", value])

    err = capsys.readouterr().err
    assert code == 1
    assert "--max-chars" in err
    assert "Traceback" not in err


def test_a_large_gated_plan_annotates_the_ten_worst_of_each_level_and_counts_the_rest() -> None:
    """GitHub shows 10 error and 10 warning annotations per step and drops the rest without a word."""
    plan = large_plan()
    verdict = judge(plan, DisruptionPolicy.fail_on(Impact.DESTROYS_DATA))
    assert len(verdict.refused) == 600

    lines = plan_commands(plan, verdict)

    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    notices = [line for line in lines if line.startswith("::notice ")]
    assert (len(errors), len(warnings), len(lines)) == (10, 10, 22)
    assert all("kvplan destroys-data (prod)" in line for line in errors)
    assert all("kvplan restart (prod)" in line for line in warnings)
    tail = "are not annotated (GitHub shows 10); the plan lists them all"
    assert notices == [
        f"::notice title=kvplan::590 more rejected or refused changes (prod) {tail}",
        f"::notice title=kvplan::{len(verdict.warned) - 10} more warned changes (prod) {tail}",
    ]
