"""A 5,000-VM plan still renders in text, Markdown and JSON, and the Markdown fits one GitHub comment.

The Markdown keeps the summary (which counts every change), the worst resources first, and says what it
folded away and where to see it all.
"""

from __future__ import annotations

import json
import re

import pytest
from markdown_it import MarkdownIt

from pulumi_kubevirt.plan.model import Impact, Plan
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.report.json_codec import plan_from_json, plan_to_json
from pulumi_kubevirt.plan.report.markdown import GITHUB_COMMENT_LIMIT, render_markdown
from pulumi_kubevirt.plan.report.text import render_text

from . import builders as b

VMS = 5_000


@pytest.fixture(scope="module")
def estate_plan() -> Plan:
    """5,000 running VMs: every tenth loses a core (restart), the others gain a template label (no effect)."""
    applied = [b.vm(f"vm-{i:05d}", cloud_init_secret=None, disks=()) for i in range(VMS)]
    desired = [
        b.vm(f"vm-{i:05d}", cloud_init_secret=None, disks=(), cores=2 if i % 10 == 0 else 1, tier="b")
        for i in range(VMS)
    ]
    return make_plan(desired, b.state(b.running(applied)), project=b.PROJECT, stack=b.STACK)


def test_the_markdown_of_a_5000_vm_plan_fits_one_github_comment_and_says_what_it_folded(
    estate_plan: Plan,
) -> None:
    text = render_markdown(estate_plan)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "**500 restarts · 4500 " in text, "the summary counts every change, folded or not"
    folded = re.search(r"_Folded to stay under 65,536 characters: (\d+) more changed resource", text)
    assert folded is not None
    rows = [line for line in text.splitlines() if line.startswith("| ") and f"`{b.NS}/vm-" in line]
    assert int(folded.group(1)) + len(rows) == VMS
    restart_rows = [row for row in rows if "| restart |" in row]
    assert restart_rows == rows[: len(restart_rows)], "the worst resources come first"
    assert len(restart_rows) == min(500, len(rows))


def test_the_folded_markdown_is_well_formed(estate_plan: Plan) -> None:
    text = render_markdown(estate_plan)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    kinds = [token.type for token in tokens]
    assert kinds.count("table_open") >= 1
    assert kinds[0] == "heading_open"
    opened = sum(1 for token in tokens if token.type == "html_block" and "<details>" in token.content)
    closed = sum(1 for token in tokens if token.type == "html_block" and "</details>" in token.content)
    assert opened == closed


def test_a_small_plan_is_not_folded() -> None:
    desired = [b.vm("web", cores=2)]
    plan = make_plan(desired, b.state(b.running([b.vm("web")])), project=b.PROJECT, stack=b.STACK)
    text = render_markdown(plan)
    assert "Folded" not in text
    assert render_markdown(plan, max_chars=len(text)) == text
    assert len(render_markdown(plan, max_chars=len(text) - 1)) <= len(text) - 1


@pytest.mark.parametrize("limit", [2_000, 10_000, 40_000])
def test_any_limit_is_respected(estate_plan: Plan, limit: int) -> None:
    assert len(render_markdown(estate_plan, max_chars=limit)) <= limit


def test_text_and_json_carry_every_resource(estate_plan: Plan) -> None:
    text = render_text(estate_plan, color=False)
    assert text.count(f"VirtualMachine {b.NS}/vm-") == VMS
    document = plan_to_json(estate_plan)
    assert len(document["resources"]) >= VMS
    again = plan_from_json(json.loads(json.dumps(document)))
    assert sum(1 for r in again.resources if r.impact is Impact.RESTART) == VMS // 10
