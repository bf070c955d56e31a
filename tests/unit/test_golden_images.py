"""Golden images: a disk or root disk cloned from a CDI DataSource (``data_source``), from fleet config to the
DataVolume's ``sourceRef``, its validation, and what the plan says when it changes."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.plan.model import Action, Impact
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.spec import DataSourceRef, StackContext
from pulumi_kubevirt.spec.fleet import load_fleet

from .plan import builders as b

CTX = StackContext(project="shop", stack="prod")


def golden_fleet(data_source: dict[str, Any]) -> dict[str, Any]:
    return {
        "defaults": {"namespace": "shop", "wait_for": "none"},
        "disks": {"scratch": {"size": "5Gi", "source": {"data_source": data_source}}},
        "vms": {
            "web": {
                "memory": "2Gi",
                "root_disk": {"image": {"data_source": data_source}, "size": "30Gi"},
                "disks": ["scratch"],
            }
        },
    }


def data_volumes(config: dict[str, Any]) -> dict[str, Any]:
    manifests = compile_fleet(load_fleet(config), CTX)
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == "DataVolume"}


@pytest.mark.parametrize(
    ("data_source", "expected_ref"),
    [
        pytest.param(
            {"name": "fedora", "namespace": "os-images"},
            {"kind": "DataSource", "name": "fedora", "namespace": "os-images"},
            id="other-namespace",
        ),
        pytest.param({"name": "rhel9"}, {"kind": "DataSource", "name": "rhel9"}, id="disk-namespace"),
    ],
)
def test_a_data_source_becomes_the_data_volume_source_ref_and_no_source(
    data_source: dict[str, Any], expected_ref: dict[str, Any]
) -> None:
    vm = load_fleet(golden_fleet(data_source)).vms[0]
    assert vm.root_disk is not None
    assert vm.root_disk.image == DataSourceRef(data_source["name"], data_source.get("namespace"))

    volumes = data_volumes(golden_fleet(data_source))

    assert sorted(volumes) == ["scratch", "web-root"]
    for volume in volumes.values():
        assert volume["spec"]["sourceRef"] == expected_ref
        assert "source" not in volume["spec"]


@pytest.mark.parametrize(
    ("data_source", "path", "message"),
    [
        pytest.param(
            {"name": "Fedora_40"},
            "vms.web.root_disk.image.data_source.name",
            "DataSource name 'Fedora_40' is not a valid Kubernetes object name",
            id="bad-name",
        ),
        pytest.param(
            {"name": "fedora", "namespace": "OS.images"},
            "disks.scratch.source.data_source.namespace",
            "namespace: 'OS.images' is not a valid name",
            id="bad-namespace",
        ),
    ],
)
def test_a_bad_data_source_is_named_at_the_field_written(
    data_source: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(golden_fleet(data_source))
    text = str(raised.value)
    assert path in text
    assert message in text


def test_the_schema_refuses_a_data_source_without_a_name() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(golden_fleet({"namespace": "os-images"}))
    assert "data_source" in str(raised.value)
    assert "name" in str(raised.value)


def _disk(source_ref: dict[str, Any]) -> dict[str, Any]:
    volume = b.data_volume("web-root")
    del volume["spec"]["source"]
    volume["spec"]["sourceRef"] = source_ref
    return volume


def test_the_same_data_source_plans_nothing_whatever_revision_it_now_points_at() -> None:
    """A DataImportCron moving the DataSource to a new image changes the DataSource, not the DataVolume."""
    ref = {"kind": "DataSource", "name": "fedora", "namespace": "os-images"}
    plan = make_plan([_disk(ref)], b.state(b.running([_disk(ref)])), project=b.PROJECT, stack=b.STACK)

    assert [res.action for res in plan.resources] == [Action.NO_OP]


def test_another_data_source_replaces_the_disk_and_says_it_destroys_data() -> None:
    before = {"kind": "DataSource", "name": "fedora", "namespace": "os-images"}
    after = {**before, "name": "fedora-41"}
    plan = make_plan([_disk(after)], b.state(b.running([_disk(before)])), project=b.PROJECT, stack=b.STACK)

    (res,) = plan.resources
    assert res.action is Action.REPLACE
    assert res.impact is Impact.DESTROYS_DATA
    (change,) = res.changes
    assert change.path == "spec.sourceRef.name"
    assert change.rule == "datavolume-source-ref"
    assert "A new revision of the same DataSource" in change.reason
