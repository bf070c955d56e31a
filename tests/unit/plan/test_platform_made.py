"""Objects KubeVirt makes from ours (restore claims) carry our labels, yet the plan never deletes them."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.core.labels import stack_labels
from pulumi_kubevirt.facts.ownership import made_by_platform
from pulumi_kubevirt.plan.model import Action
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.state import LiveState, ObjectKey


def claim(
    name: str, *, annotations: dict[str, str] | None = None, labels: dict[str, str] | None = None
) -> Any:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": "apps",
            "labels": {**stack_labels("proj", "dev"), **(labels or {})},
            "annotations": annotations or {},
        },
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


CASES = [
    (
        "restore-annotation",
        claim("restore-1-data", annotations={"restore.kubevirt.io/name": "rollback"}),
        False,
    ),
    ("restore-label", claim("restore-2-data", labels={"restore.kubevirt.io/source-vm-name": "db"}), False),
    ("our-leftover-claim", claim("old-data"), True),
]


@pytest.mark.parametrize(("obj", "deleted"), [(o, d) for _, o, d in CASES], ids=[i for i, _, _ in CASES])
def test_only_claims_without_a_restore_marker_are_planned_for_deletion(obj: Any, deleted: bool) -> None:
    live = LiveState(objects={ObjectKey.of(obj): obj})
    plan = make_plan((), live, project="proj", stack="dev")
    actions = [r.action for r in plan.resources if r.key.name == obj["metadata"]["name"]]
    assert actions == ([Action.DELETE] if deleted else [])
    assert (made_by_platform("PersistentVolumeClaim", obj) is None) is deleted


def test_the_marker_counts_only_on_the_kind_it_belongs_to() -> None:
    secret = {"metadata": {"annotations": {"restore.kubevirt.io/name": "rollback"}}}
    assert made_by_platform("Secret", secret) is None
