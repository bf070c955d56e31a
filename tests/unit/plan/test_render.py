"""Renderers over a review-sized plan and a drift report: golden files, schema, round trip, determinism."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pulumi_kubevirt.plan.drift import detect_drift
from pulumi_kubevirt.plan.model import DriftFinding, Plan
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.report.json_codec import (
    PlanFormatError,
    drift_from_json,
    drift_to_json,
    plan_from_json,
    plan_to_json,
)
from pulumi_kubevirt.plan.report.markdown import (
    render_drift_markdown,
    render_markdown,
    render_policy_reference,
)
from pulumi_kubevirt.plan.report.text import render_drift_text, render_text

from . import builders as b

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "plan"
SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
OLD_PASSWORD = "hunter2-s3cret"
NEW_PASSWORD = "n3w-pa55word"


PENDING_CONDITION = {
    "type": "RestartRequired",
    "status": "True",
    "lastTransitionTime": "2026-11-27T09:30:00Z",
    "message": "a non-live-updatable field was changed in the template spec",
}


def review_plan() -> Plan:
    """A plan with every headline: data loss, restart, live migration, no effect, error, create, delete."""
    applied = [
        b.secret(),
        b.data_volume(),
        b.data_volume("db-root", size="50Gi"),
        b.data_volume("web-scratch", size="5Gi"),
        b.vm(),
        b.vm("db", cloud_init_secret=None),
        b.service(),
    ]
    live = b.running(applied)
    # An earlier apply left db a restart to do: KubeVirt's condition, shown as a pending restart.
    db = next(o for o in live if o["kind"] == "VirtualMachine" and o["metadata"]["name"] == "db")
    db["status"]["conditions"].append(PENDING_CONDITION)
    unmanaged = b.live(b.service("db"))
    del unmanaged["metadata"]["labels"]
    live.append(unmanaged)
    desired = [
        b.secret(user_data=f"#cloud-config\npassword: {NEW_PASSWORD}\n"),
        b.data_volume(url="https://images.example/alpine-3.21.qcow2"),
        b.data_volume("db-root", size="40Gi"),
        b.vm(sockets=4, tier="b"),
        b.vm("db", cores=2, cloud_init_secret=None),
        b.service(port=8080),
        b.service("db"),
        b.network(),
    ]
    state = b.state(live, unmanaged=[b.ObjectKey.of(unmanaged)])
    return make_plan(desired, state, project=b.PROJECT, stack=b.STACK)


def drift_findings() -> tuple[DriftFinding, ...]:
    desired = b.stack()
    live = b.running(desired)
    vm = next(o for o in live if o["kind"] == "VirtualMachine")
    vm["spec"]["runStrategy"] = "Halted"
    vm["metadata"]["managedFields"].append(
        b.managed_entry(
            {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "spec": {"runStrategy": "Halted"}},
            "virtctl",
            time="2026-11-27T10:02:00Z",
            operation="Update",
        )
    )
    secret = next(o for o in live if o["kind"] == "Secret")
    secret["data"]["userdata"] = "bmV3LXNlY3JldC12YWx1ZQ=="
    live = [o for o in live if o["kind"] != "Service"]
    return detect_drift(desired, b.state(live))


def golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run pytest with --update-golden (or UPDATE_GOLDEN=1)"
    assert text == path.read_text(), f"{name} differs from its golden file; --update-golden rewrites it"


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERINGS = {
    "plan.txt": lambda: render_text(review_plan(), color=False),
    "plan.verbose.txt": lambda: render_text(review_plan(), color=False, verbose=True),
    "plan.color.txt": lambda: render_text(review_plan(), color=True),
    "plan.md": lambda: render_markdown(review_plan()),
    "plan.json": lambda: dumps(plan_to_json(review_plan())),
    "drift.txt": lambda: render_drift_text(drift_findings(), cluster="prod-east"),
    "drift.verbose.txt": lambda: render_drift_text(drift_findings(), cluster="prod-east", verbose=True),
    "drift.md": lambda: render_drift_markdown(drift_findings(), cluster="prod-east", stack="prod"),
    "drift.json": lambda: dumps(drift_to_json(drift_findings(), cluster="prod-east", stack="prod")),
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_golden(name: str, update_golden: bool) -> None:
    golden(name, RENDERINGS[name](), update_golden)


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_deterministic(name: str) -> None:
    assert RENDERINGS[name]() == RENDERINGS[name]()


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_secret_values_never_rendered(name: str) -> None:
    text = RENDERINGS[name]()
    for secret in (OLD_PASSWORD, NEW_PASSWORD, "new-secret-value", "bmV3LXNlY3JldC12YWx1ZQ", "aHVudGVyMi"):
        assert secret not in text


def test_plan_json_matches_schema_and_round_trips() -> None:
    plan = review_plan()
    data = plan_to_json(plan)
    jsonschema.validate(data, SCHEMA)
    again = plan_from_json(json.loads(json.dumps(data)))
    assert again == plan
    assert render_text(again, color=False) == render_text(plan, color=False)


def test_drift_json_matches_schema_and_round_trips() -> None:
    findings = drift_findings()
    data = drift_to_json(findings, cluster="prod-east")
    jsonschema.validate(data, SCHEMA)
    assert drift_from_json(json.loads(json.dumps(data))) == findings


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"schema": "something-else", "version": 1}, "Not a pulumi-kubevirt/plan document"),
        ({"schema": "pulumi-kubevirt/plan", "version": 2}, "version 2 cannot be read"),
        ({"schema": "pulumi-kubevirt/plan", "version": 1}, "incomplete or malformed"),
    ],
    ids=["other-schema", "newer-version", "truncated"],
)
def test_plan_from_json_rejects_what_it_cannot_read(document: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanFormatError, match=message):
        plan_from_json(document)


def test_text_has_summary_reasons_and_hidden_counts() -> None:
    text = render_text(review_plan(), color=False)
    assert "! 2 resources lose data" in text
    assert "# forces replacement" in text
    assert "unchanged fields hidden" in text
    assert "(sensitive value changed)" in text
    assert "\033[" not in text
    assert "\033[" in render_text(review_plan(), color=True)


def test_markdown_puts_errors_then_data_loss_first_and_folds_details() -> None:
    text = render_markdown(review_plan())
    table = [line for line in text.splitlines() if line.startswith("| ") and "`prod/" in line]
    # Both errors first (web-root loses data without allow_data_loss, db-root would shrink), then data loss.
    assert "❌" in table[0]
    assert "❌" in table[1]
    assert "web-root" in table[0] + table[1]
    assert "db-root" in table[0] + table[1]
    assert "destroys-data" in table[2]
    assert text.count("<details>") == text.count("</details>") > 0


def test_drift_names_the_manager_and_time() -> None:
    text = render_drift_text(drift_findings(), cluster="prod-east")
    assert 'spec.runStrategy "Always" -> "Halted", changed by virtctl at 2026-11-27T10:02:00Z' in text
    assert "firmware.uuid" not in text
    assert "firmware.uuid" in render_drift_text(drift_findings(), cluster="prod-east", verbose=True)


def test_docs_policy_reference_is_in_sync() -> None:
    doc = (REPO / "docs" / "plan.md").read_text()
    assert doc.endswith(render_policy_reference()), "regenerate the policy table at the end of docs/plan.md"
