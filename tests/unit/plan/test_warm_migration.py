"""Warm migration in the plan: appending a checkpoint is a live change of the same DataVolume, the cutover
says downtime starts, anything else CDI would refuse (or we must not do) is a replacement or an error.

Source of the fact: containerized-data-importer v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go
``Admit`` (checkpoint updates are admitted on vddk and imageio sources).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_disk
from pulumi_kubevirt.plan.model import Action, Impact
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.policy import CUTOVER_NOTE
from pulumi_kubevirt.plan.report.text import render_text
from pulumi_kubevirt.plan.state import ObjectKey
from pulumi_kubevirt.spec import Checkpoint, DiskArgs, HttpSource, StackContext, VddkSource

from . import builders as b

KEY = ObjectKey("cdi.kubevirt.io", "DataVolume", b.NS, "db-disk1")
VDDK = VddkSource(
    url="https://vcenter.example.com/sdk",
    uuid="422ca90b-853b-1101-3350-759f747730cc",
    backing_file="[datastore1] db/db.vmdk",
    thumbprint="31:3A:4B",
    secret_ref="vcenter-credentials",
)
HTTP = HttpSource("https://img.example/db.qcow2")
FIRST = Checkpoint("", "snapshot-101")
SECOND = Checkpoint("snapshot-101", "snapshot-102")
THIRD = Checkpoint("snapshot-102", "snapshot-103")


def disk(*checkpoints: Checkpoint, final: bool = False, source: Any = VDDK) -> dict[str, Any]:
    args = DiskArgs(
        namespace=b.NS,
        name="db-disk1",
        size="40Gi",
        source=source,
        storage_class="standard",
        checkpoints=checkpoints,
        final_checkpoint=final,
    )
    [manifest] = compile_disk(args, StackContext(b.PROJECT, b.STACK))
    return manifest


def with_spec(manifest: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**manifest, "spec": {**manifest["spec"], **fields}}


@dataclass(frozen=True)
class Case:
    id: str
    live: dict[str, Any]
    desired: dict[str, Any]
    action: Action
    impact: Impact
    error: bool = False


CASES = [
    Case("append-checkpoint-is-live", disk(FIRST), disk(FIRST, SECOND), Action.UPDATE, Impact.LIVE),
    Case("append-two-is-live", disk(FIRST), disk(FIRST, SECOND, THIRD), Action.UPDATE, Impact.LIVE),
    Case(
        "cutover-is-live",
        disk(FIRST, SECOND),
        disk(FIRST, SECOND, THIRD, final=True),
        Action.UPDATE,
        Impact.LIVE,
    ),
    Case(
        "rewriting-a-copied-checkpoint-is-an-error",
        disk(FIRST, SECOND),
        disk(FIRST, Checkpoint("snapshot-101", "snapshot-999")),
        Action.UPDATE,
        Impact.NONE,
        error=True,
    ),
    # A replaced disk loses its data: an error unless the disk allows it (disk-data-loss-not-allowed).
    Case(
        "dropping-all-checkpoints-replaces",
        disk(FIRST),
        disk(),
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        error=True,
    ),
    Case(
        "http-source-is-never-multi-stage",
        disk(source=HTTP),
        with_spec(disk(source=HTTP), checkpoints=[{"previous": "", "current": "snapshot-101"}]),
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        error=True,
    ),
    Case(
        "new-backing-file-with-a-checkpoint-still-replaces",
        disk(FIRST),
        disk(FIRST, SECOND, source=replace(VDDK, backing_file="[ds2] db/db.vmdk")),
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        error=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_checkpoint_changes(case: Case) -> None:
    plan = make_plan([case.desired], b.state([b.live(case.live)]), project=b.PROJECT, stack=b.STACK)
    [resource] = [r for r in plan.resources if r.key == KEY]
    assert resource.action is case.action
    assert resource.impact is case.impact
    assert bool(resource.errors) is case.error


def test_cutover_is_named_in_the_rendered_plan() -> None:
    plan = make_plan(
        [disk(FIRST, SECOND, final=True)],
        b.state([b.live(disk(FIRST, SECOND))]),
        project=b.PROJECT,
        stack=b.STACK,
    )
    text = render_text(plan, color=False)
    assert CUTOVER_NOTE in text
    assert "replace" not in text.split("DataVolume", 1)[1].split("\n", 1)[0]
