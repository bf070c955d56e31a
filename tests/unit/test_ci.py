"""kvplan in CI: the recipes users copy (validated against the published schemas), the Markdown they post
(parsed as CommonMark with GFM tables), the comment size limit, and GitHub workflow annotations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from pulumi_kubevirt.plan.gate import DisruptionPolicy, judge
from pulumi_kubevirt.plan.model import Impact
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.report.github import Annotations, Level, command, drift_commands, plan_commands
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


def _github() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(GITHUB_WORKFLOW.read_text())
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


def large_plan_markdown() -> str:
    """150 VMs, each with a restart and a replaced root disk: well over one comment's worth of Markdown."""
    applied: list[Any] = []
    desired: list[Any] = []
    for i in range(150):
        applied += [b.vm(f"vm{i}"), b.data_volume(f"vm{i}-root")]
        desired += [
            b.vm(f"vm{i}", cores=2),
            b.data_volume(f"vm{i}-root", url="https://images.example/b.qcow2"),
        ]
    return render_markdown(make_plan(desired, b.state(b.running(applied)), project=b.PROJECT, stack=b.STACK))


def run_plan_step(tmp_path: Path, markdown: str, exit_code: int) -> tuple[str, str, str]:
    """The workflow's ``kvplan plan`` step under bash, with ``kvplan`` standing for a run that printed
    ``markdown`` and exited ``exit_code`` (the cluster tests run the step with the real kvplan)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "plan-output.md").write_text(markdown, encoding="utf-8")
    fake = bin_dir / "kvplan"
    fake.write_text(
        f'#!/bin/sh\ncat "{tmp_path / "plan-output.md"}"\n'
        "echo '::error title=kvplan restart (prod)::gated' >&2\n"
        "echo 'The disruption policy refuses a change in this plan:' >&2\n"
        f"exit {exit_code}\n"
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
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/fleet",
        "GITHUB_RUN_ID": "42",
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


def test_a_large_plan_gets_a_comment_within_the_limit_and_the_whole_plan_in_the_summary(
    tmp_path: Path,
) -> None:
    markdown = large_plan_markdown()
    assert len(markdown) > COMMENT_LIMIT

    comment, summary, output = run_plan_step(tmp_path, markdown, 0)

    assert len(comment) <= COMMENT_LIMIT
    assert comment.splitlines()[0] == "<!-- kvplan:stack=prod -->"
    tokens = MarkdownIt("commonmark").parse(comment)
    assert _inline_after(tokens, "heading_open") == "Plan for stack prod"
    link = next(t for t in _inline_children(tokens) if t.type == "link_open")
    assert link.attrs["href"] == "https://github.com/acme/fleet/actions/runs/42"
    assert markdown in summary
    assert output == "exit-code=0\n"


def test_a_gated_plan_comment_says_so_and_keeps_the_refusal_but_not_the_annotations(tmp_path: Path) -> None:
    comment, _, output = run_plan_step(tmp_path, render_markdown(review_plan()), 3)

    assert output == "exit-code=3\n"
    assert "**The disruption gate of stack `prod` refused a change (kvplan exit 3).**" in comment
    assert "The disruption policy refuses a change in this plan:" in comment
    assert "::error" not in comment


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
    assert [row[1] for row in summary_rows][:2] == ["DataVolume prod/db-root", "DataVolume prod/web-root"]
    assert ["Field", "Live", "Desired", "Impact", "Why"] in rows
    html = [t.content.strip() for t in tokens if t.type == "html_block"]
    opened = [h for h in html if h.startswith("<details><summary>")]
    assert len(opened) == html.count("</details>") >= 3
    assert "<details><summary>DataVolume prod/web-root: replace, DESTROYS DATA</summary>" in opened
    assert OLD_PASSWORD not in render_markdown(plan)
    assert NEW_PASSWORD not in render_markdown(plan)


def test_the_drift_markdown_parses_to_a_heading_and_a_table_of_findings() -> None:
    tokens = _parser().parse(render_drift_markdown(drift_findings(), cluster="prod-east"))

    assert _inline_after(tokens, "heading_open") == "Drift for prod-east"
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
