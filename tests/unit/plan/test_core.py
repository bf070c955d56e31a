"""Model ordering, the keyed diff, normalisation, the policy table's integrity, drift, and the layer rule."""

from __future__ import annotations

import ast
import base64
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_kubevirt.core.paths import parse_path
from pulumi_kubevirt.facts.platform import PLATFORM_FIELDS
from pulumi_kubevirt.plan import policy
from pulumi_kubevirt.plan.diff import diff
from pulumi_kubevirt.plan.drift import detect_drift, ownership, who_changed
from pulumi_kubevirt.plan.model import ChangeOp, DriftKind, Impact, max_impact
from pulumi_kubevirt.plan.normalise import (
    comparable_live,
    normalise,
    owned_by,
    parse_fields_v1,
    platform_field,
)

from . import builders as b

PLAN_DIR = Path(__file__).resolve().parents[3] / "provider" / "pulumi_kubevirt" / "plan"


def test_impact_order_and_max() -> None:
    assert list(Impact) == sorted(Impact)
    assert Impact.NONE < Impact.NO_EFFECT < Impact.LIVE < Impact.LIVE_MIGRATION < Impact.RESTART
    assert Impact.RESTART < Impact.REPLACE < Impact.DESTROYS_DATA
    assert max([Impact.LIVE, Impact.DESTROYS_DATA, Impact.NO_EFFECT]) is Impact.DESTROYS_DATA
    assert max_impact([]) is Impact.NONE
    assert Impact("live") is Impact.LIVE
    assert {Impact.LIVE: 1}["live"] == 1


DIFF_CASES: list[tuple[str, Any, Any, list[tuple[str, str]]]] = [
    ("equal", {"a": 1}, {"a": 1}, []),
    ("scalar-change", {"a": 1}, {"a": 2}, [("change", "a")]),
    ("key-added", {}, {"a": {"b": 1}}, [("add", "a")]),
    ("key-removed", {"a": 1}, {}, [("remove", "a")]),
    (
        "keyed-list-remove-one",
        {"disks": [{"name": "root"}, {"name": "data"}, {"name": "logs"}]},
        {"disks": [{"name": "root"}, {"name": "logs"}]},
        [("remove", "disks[name=data]")],
    ),
    (
        "keyed-list-field",
        {"disks": [{"name": "root", "bootOrder": 1}]},
        {"disks": [{"name": "root", "bootOrder": 2}]},
        [("change", "disks[name=root].bootOrder")],
    ),
    ("keyed-list-from-empty", {"ports": []}, {"ports": [{"name": "http"}]}, [("add", "ports[name=http]")]),
    (
        "atomic-list",
        {"accessModes": ["ReadWriteOnce"]},
        {"accessModes": ["ReadWriteMany"]},
        [("change", "accessModes")],
    ),
    (
        "quoted-key",
        {"labels": {"app.kubernetes.io/name": "a"}},
        {"labels": {"app.kubernetes.io/name": "b"}},
        [("change", 'labels["app.kubernetes.io/name"]')],
    ),
]


@pytest.mark.parametrize(
    ("before", "after", "expected"), [c[1:] for c in DIFF_CASES], ids=[c[0] for c in DIFF_CASES]
)
def test_keyed_diff(before: Any, after: Any, expected: list[tuple[str, str]]) -> None:
    changes = diff(before, after)
    assert [(c.op.value, c.text) for c in changes] == expected
    for change in changes:
        assert parse_path(change.text) == change.path


def test_secret_string_data_equals_base64_data() -> None:
    desired = normalise(b.secret(user_data="hello"))
    live = {**b.secret(), "data": {"userdata": base64.b64encode(b"hello").decode()}}
    del live["stringData"]
    assert comparable_live(live, desired) == desired


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.storage.resources.requests.storage", "10240Mi"),
        ("spec.storage.resources.requests.storage", "10Gi"),
    ],
    ids=["respelt", "same"],
)
def test_storage_quantities_compare_by_value(path: str, value: str) -> None:
    desired = normalise(b.data_volume(size="10Gi"))
    live = copy.deepcopy(desired)
    live["spec"]["storage"]["resources"]["requests"]["storage"] = value
    assert comparable_live(live, desired) == desired


def test_status_and_server_metadata_are_dropped() -> None:
    live = b.live(b.vm())
    out = normalise(live)
    assert "status" not in out
    assert not {
        "uid",
        "resourceVersion",
        "generation",
        "managedFields",
        "creationTimestamp",
        "finalizers",
    } & set(out["metadata"])


def test_owned_fields_parse_keyed_items() -> None:
    entry = b.managed_entry(b.vm())
    tree = parse_fields_v1(entry["fieldsV1"])
    assert ("name", "root") in tree["spec"]["template"]["spec"]["domain"]["devices"]["disks"]
    assert owned_by([entry]) == entry["fieldsV1"]
    assert owned_by([{**entry, "manager": "virtctl"}]) is None


@pytest.mark.parametrize(
    ("path", "covered"),
    [
        ("spec.template.spec.domain.firmware.uuid", True),
        ('spec.template.metadata.annotations["kubevirt.io/pci-topology-version"]', True),
        ("spec.template.spec.domain.devices.interfaces[name=vlan10]", True),
        ("spec.template.spec.domain.cpu.cores", False),
    ],
    ids=["firmware-uuid", "pci-annotation", "unplugged-interface", "cores"],
)
def test_platform_table_covers(path: str, covered: bool) -> None:
    assert (platform_field("VirtualMachine", parse_path(path)) is not None) is covered


def test_every_policy_row_has_reason_source_and_one_decision() -> None:
    for row in policy.POLICY:
        assert row.reason, row.id
        assert row.source, row.id
        assert (row.impact is None) != (not row.rule), row.id
        assert not row.rule or row.rule in policy.RULE_FUNCTIONS, row.id
    for platform in PLATFORM_FIELDS:
        assert platform.reason
        assert platform.source


@pytest.mark.parametrize(
    ("kind", "path", "rule_id"),
    [
        ("VirtualMachine", "spec.template.spec.domain.cpu.sockets", "vm-cpu-sockets"),
        ("VirtualMachine", "spec.template.spec.domain.cpu.threads", "vm-cpu-other"),
        ("VirtualMachine", "spec.template.spec.domain.devices.disks[name=root].bootOrder", "vm-disk-hotplug"),
        ("VirtualMachine", "spec.template.spec.evictionStrategy", "vm-template-spec"),
        ("VirtualMachine", "metadata.labels.team", "object-metadata"),
        ("DataVolume", "spec.source.http.url", "datavolume-spec-immutable"),
        ("DataVolume", "spec.storage.resources.requests.storage", "datavolume-size"),
        ("PersistentVolumeClaim", "spec.accessModes", "pvc-spec-immutable"),
        ("Service", "spec.clusterIP", "service-immutable"),
        ("NetworkAttachmentDefinition", "spec.config", "nad-config"),
        ("ConfigMap", "data.x", "unknown-field"),
    ],
    ids=lambda v: str(v).replace(".", "-")[:40],
)
def test_policy_row_matching(kind: str, path: str, rule_id: str) -> None:
    assert policy.match_rule(kind, parse_path(path)).id == rule_id


def _drifted() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    desired = b.stack()
    return desired, b.running(desired)


def test_drift_names_other_manager_and_time() -> None:
    desired, live = _drifted()
    vm = next(o for o in live if o["kind"] == "VirtualMachine")
    vm["spec"]["template"]["spec"]["domain"]["cpu"]["cores"] = 4
    vm["metadata"]["managedFields"].append(
        b.managed_entry(
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachine",
                "spec": {"template": {"spec": {"domain": {"cpu": {"cores": 4}}}}},
            },
            "kubectl-edit",
            time="2026-11-27T11:00:00Z",
            operation="Update",
        )
    )
    findings = [f for f in detect_drift(desired, b.state(live)) if f.kind is DriftKind.MODIFIED]
    assert [(f.path, f.desired, f.live, f.manager, f.time) for f in findings] == [
        ("spec.template.spec.domain.cpu.cores", 1, 4, "kubectl-edit", "2026-11-27T11:00:00Z")
    ]


def test_drift_still_owned_by_us_reports_unknown_manager() -> None:
    desired, live = _drifted()
    next(o for o in live if o["kind"] == "Service")["spec"]["ports"][0]["port"] = 81
    findings = [f for f in detect_drift(desired, b.state(live)) if f.kind is DriftKind.MODIFIED]
    assert [(f.path, f.manager) for f in findings] == [("spec.ports[name=http].port", "")]


def test_deleted_object_is_deleted_drift() -> None:
    desired, live = _drifted()
    live = [o for o in live if o["kind"] != "DataVolume"]
    findings = detect_drift(desired, b.state(live))
    assert [(f.kind, f.key.kind) for f in findings if f.kind is not DriftKind.PLATFORM] == [
        (DriftKind.DELETED, "DataVolume")
    ]


def test_platform_fields_are_platform_findings_only() -> None:
    desired, live = _drifted()
    findings = detect_drift(desired, b.state(live))
    assert findings
    assert {f.kind for f in findings} == {DriftKind.PLATFORM}
    assert "spec.template.spec.domain.firmware.uuid" in {f.path for f in findings}


def test_who_changed_prefers_the_latest_other_manager() -> None:
    live = b.live(b.vm())
    live["metadata"]["managedFields"] += [
        b.managed_entry(
            {"apiVersion": "v1", "kind": "X", "spec": {"runStrategy": "Halted"}},
            "old",
            time="2026-01-01T00:00:00Z",
        ),
        b.managed_entry(
            {"apiVersion": "v1", "kind": "X", "spec": {"runStrategy": "Halted"}},
            "new",
            time="2026-02-01T00:00:00Z",
        ),
    ]
    owner = who_changed(parse_path("spec.runStrategy"), ownership(live))
    assert owner is not None
    assert owner.manager == "new"


FORBIDDEN_IMPORTS = {
    "pulumi",
    "pulumi_kubernetes",
    "kubernetes",
    "os",
    "time",
    "datetime",
    "random",
    "subprocess",
}


@pytest.mark.parametrize("module", sorted(p.name for p in PLAN_DIR.glob("*.py")))
def test_plan_core_is_pure(module: str) -> None:
    tree = ast.parse((PLAN_DIR / module).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN_IMPORTS


def test_change_ops_are_the_closed_set() -> None:
    assert {op.value for op in ChangeOp} == {"add", "remove", "change"}


_names = st.sampled_from(["root", "data", "logs", "cloudinit"])
_scalars = st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", "1Gi", "1024Mi"]), st.booleans())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(["x", "y", "app.kubernetes.io/name"]), inner, max_size=3),
        st.lists(
            st.fixed_dictionaries({"name": _names, "v": inner}), max_size=3, unique_by=lambda d: d["name"]
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(_values, _values)
def test_diff_is_empty_exactly_when_equal_and_paths_parse(a: Any, b: Any) -> None:
    changes = diff(a, b)
    assert diff(a, a) == ()
    assert (changes == ()) == (a == b)
    assert changes == diff(a, b)
    for change in changes:
        if change.path:
            assert parse_path(change.text) == change.path


def test_owning_something_else_under_spec_is_not_blamed() -> None:
    desired, live = _drifted()
    vm = next(o for o in live if o["kind"] == "VirtualMachine")
    vm["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 0
    vm["metadata"]["managedFields"].append(
        b.managed_entry(
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachine",
                "spec": {"template": {"spec": {"domain": {"firmware": {"uuid": "x"}}}}},
            },
            "virt-controller",
            time="2026-11-27T12:00:00Z",
            operation="Update",
        )
    )
    findings = [f for f in detect_drift(desired, b.state(live)) if f.kind is DriftKind.MODIFIED]
    assert [(f.path, f.manager) for f in findings] == [
        ("spec.template.spec.terminationGracePeriodSeconds", "")
    ]


def test_secret_values_are_never_compared_as_quantities() -> None:
    desired = normalise({**b.secret(), "stringData": {"memory": "1Gi"}})
    live = {**b.secret(), "data": {"memory": base64.b64encode(b"1024Mi").decode()}}
    del live["stringData"]
    assert comparable_live(live, desired) != desired


def test_unknown_storage_field_destroys_data() -> None:
    assert policy.match_rule("DataVolume", parse_path("priorityClassName")).id == "storage-unknown"
    assert policy.match_rule("DataVolume", parse_path("metadata.labels.x")).id == "object-metadata"
