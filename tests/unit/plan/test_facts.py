"""Each platform fact lives once, in ``pulumi_kubevirt.facts``, and everything else reads it from there."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from pulumi_kubevirt.compile.emit import manifest_sort_key
from pulumi_kubevirt.core.paths import parse_path
from pulumi_kubevirt.facts import kinds, kubevirt
from pulumi_kubevirt.facts.immutable import IMMUTABLE_FIELDS, replace_on_changes
from pulumi_kubevirt.facts.live_update import POLICY
from pulumi_kubevirt.facts.pattern import ITEM, REST, covers, format_pattern
from pulumi_kubevirt.facts.quantities import is_quantity_key
from pulumi_kubevirt.facts.source import Upstream
from pulumi_kubevirt.plan.observed import ClusterFacts, RolloutStrategy
from pulumi_kubevirt.plan.planner import order_key_for
from pulumi_kubevirt.plan.policy import match_rule
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

from . import builders as b

PRODUCT = Path(__file__).resolve().parents[3] / "provider" / "pulumi_kubevirt"
FACT_NAMES = frozenset(
    {
        "KIND_RANK",
        "IMMUTABLE_FIELDS",
        "PLATFORM_FIELDS",
        "SERVER_METADATA",
        "QUANTITY_KEYS",
        "POLICY",
        "MIN_HOTPLUG_MEMORY",
        "DEFAULT_MAX_HOTPLUG_RATIO",
        "DEFAULT_ROLLOUT",
        "PROTECTED_KINDS",
        "DATA_KINDS",
        "FILESYSTEM_OVERHEAD",
        "IMAGE_ALIGNMENT",
        "EXPAND_DISKS",
        "RESTART_REQUIRED",
        "DATAVOLUME_SIZE",
    }
)
"""Names that held a copy of a platform fact; only ``facts`` may define them (others may alias them)."""


def _module_level_definitions(path: Path) -> dict[str, ast.expr]:
    tree = ast.parse(path.read_text())
    out: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value
    return out


def test_no_module_outside_facts_writes_a_fact_down() -> None:
    offenders = []
    for path in sorted(PRODUCT.rglob("*.py")):
        if "facts" in path.relative_to(PRODUCT).parts:
            continue
        for name, value in _module_level_definitions(path).items():
            if name in FACT_NAMES and not isinstance(value, ast.Name | ast.Attribute):
                offenders.append(f"{path.relative_to(PRODUCT)}: {name}")
    assert offenders == [], "a platform fact is written outside pulumi_kubevirt.facts"


def _is_one_gib(node: ast.AST) -> bool:
    """``Decimal(2**30)``, ``1 << 30`` or ``1073741824``: how the hot-plug minimum used to be written."""
    if isinstance(node, ast.Constant):
        return node.value == 2**30
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.LShift):
        return isinstance(node.right, ast.Constant) and node.right.value == 30
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Decimal"
        and bool(node.args)
        and isinstance(node.args[0], ast.BinOp)
        and isinstance(node.args[0].op, ast.Pow)
        and isinstance(node.args[0].right, ast.Constant)
        and node.args[0].right.value == 30
    )


def test_the_hot_plug_minimum_is_written_only_in_facts() -> None:
    offenders = [
        f"{path.relative_to(PRODUCT)}:{node.lineno}"
        for path in sorted(PRODUCT.rglob("*.py"))
        if "facts" not in path.relative_to(PRODUCT).parts
        for node in ast.walk(ast.parse(path.read_text()))
        if _is_one_gib(node) and hasattr(node, "lineno")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("kind", "paths"),
    [
        pytest.param(
            "DataVolume",
            (
                "spec.source",
                *(
                    f"spec.{holder}.{field}"
                    for holder in ("storage", "pvc")
                    for field in (
                        "accessModes",
                        "dataSource",
                        "dataSourceRef",
                        "resources.limits",
                        "selector",
                        "storageClassName",
                        "volumeMode",
                        "volumeName",
                    )
                ),
                "spec.contentType",
                "spec.preallocation",
                "spec.priorityClassName",
                "spec.serviceAccountName",
                "spec.sourceRef",
            ),
            id="datavolume-all-but-size-and-checkpoints",
        ),
        pytest.param(
            "PersistentVolumeClaim",
            (
                "spec.accessModes",
                "spec.dataSource",
                "spec.dataSourceRef",
                "spec.resources.limits",
                "spec.selector",
                "spec.storageClassName",
                "spec.volumeMode",
                "spec.volumeName",
            ),
            id="pvc",
        ),
        pytest.param("Service", ("spec.clusterIP", "spec.clusterIPs"), id="service"),
        pytest.param("Secret", ("type",), id="secret"),
        pytest.param("VirtualMachine", (), id="virtualmachine"),
        pytest.param("NetworkAttachmentDefinition", (), id="nad"),
    ],
)
def test_immutable_fields_per_kind(kind: str, paths: tuple[str, ...]) -> None:
    assert replace_on_changes(kind) == paths


@pytest.mark.parametrize(
    "path",
    ["spec.resources.requests.storage", "spec.volumeAttributesClassName", "metadata.labels.app"],
    ids=["storage-request", "volume-attributes-class", "labels"],
)
def test_what_kubernetes_lets_a_claim_change_forces_no_replacement(path: str) -> None:
    row = match_rule("PersistentVolumeClaim", parse_path(path))
    assert not row.replaces, row.id
    assert not any(path.startswith(p) for p in replace_on_changes("PersistentVolumeClaim"))


def test_the_plan_replaces_exactly_where_the_components_replace() -> None:
    """One table: each immutable path has a replacing policy row; each replacing row is from the table."""
    for fields in IMMUTABLE_FIELDS:
        for pattern in fields.paths:
            row = match_rule(fields.kind, tuple(parse_path(format_pattern(pattern))))
            assert (row.id, row.replaces, row.impact) == (fields.id, True, fields.impact)
    table = {(f.id, f.kind, p) for f in IMMUTABLE_FIELDS for p in f.paths}
    assert {(r.id, r.kind, r.pattern) for r in POLICY if r.replaces} == table


def test_every_row_cites_upstream_code_at_a_version() -> None:
    for row in POLICY:
        assert isinstance(row.source, Upstream), row.id
        assert row.source.file, row.id
        if row.source.repo.startswith("kubevirt/"):
            assert row.source.pinned in ("v1.9.0", "v1.66.0"), row.id
            assert "@" in str(row.source)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(None, RolloutStrategy.LIVE_UPDATE, id="no-kubevirt-cr"),
        pytest.param({}, RolloutStrategy.LIVE_UPDATE, id="unset"),
        pytest.param({"vmRolloutStrategy": "Stage"}, RolloutStrategy.STAGE, id="stage"),
        pytest.param({"vmRolloutStrategy": "LiveUpdate"}, RolloutStrategy.LIVE_UPDATE, id="live-update"),
    ],
)
def test_rollout_default_is_live_update(config: dict[str, str] | None, expected: RolloutStrategy) -> None:
    cr = None if config is None else {"spec": {"configuration": config}}
    assert ClusterFacts.from_live(LiveState(objects={}, kubevirt=cr)).rollout is expected
    assert kubevirt.DEFAULT_ROLLOUT.value is RolloutStrategy.LIVE_UPDATE


@pytest.mark.parametrize(
    ("enabled", "disabled", "blocked"),
    [
        pytest.param((), (), "", id="beta-on-by-default"),
        pytest.param((), ("DeclarativeHotplugVolumes",), "disabled", id="declarative-disabled"),
        pytest.param(("HotplugVolumes",), (), "HotplugVolumes is enabled", id="legacy-gate-enabled"),
    ],
)
def test_declarative_volume_hotplug_gate(
    enabled: tuple[str, ...], disabled: tuple[str, ...], blocked: str
) -> None:
    state = b.state([], gates=enabled, disabled_gates=disabled)
    got = ClusterFacts.from_live(state).volume_hotplug_blocked_by
    assert (blocked in got) if blocked else got == ""


def test_hot_plug_limits() -> None:
    assert kubevirt.MIN_HOTPLUG_MEMORY.value == Decimal(1024**3)
    assert kubevirt.HOTPLUG_MEMORY_ALIGNMENT.value == Decimal(2 * 1024**2)
    assert kubevirt.DEFAULT_MAX_HOTPLUG_RATIO.value == 4
    assert kubevirt.HOTPLUG_INTERFACE_BINDINGS.value == frozenset({"bridge", "sriov"})


@pytest.mark.parametrize(
    ("key", "quantity"),
    [
        ("storage", True),
        ("guest", True),
        ("maxGuest", True),
        ("capacity", True),
        ("hugepages-2Mi", True),
        ("pageSize", False),
        ("size", False),
        ("name", False),
    ],
)
def test_quantity_keys(key: str, quantity: bool) -> None:
    assert is_quantity_key(key) is quantity


ALL_KINDS = [step.kind for step in kinds.APPLY_ORDER] + ["ZUnknown", "AUnknown"]


def test_render_and_plan_apply_in_the_same_order_and_delete_in_reverse() -> None:
    def key(kind: str) -> ObjectKey:
        return ObjectKey("g", kind, "ns", "n")

    manifests = [{"kind": k, "metadata": {"namespace": "ns", "name": "n"}} for k in ALL_KINDS]
    rendered = [m["kind"] for m in sorted(manifests, key=manifest_sort_key)]
    planned = sorted(ALL_KINDS, key=lambda k: order_key_for(key(k)))
    deleted = sorted(ALL_KINDS, key=lambda k: order_key_for(key(k), deleting=True))
    assert rendered == planned
    assert rendered[: len(kinds.APPLY_ORDER)] == [s.kind for s in kinds.APPLY_ORDER]
    assert rendered[-2:] == ["AUnknown", "ZUnknown"], "unknown kinds go last, by name"
    assert [kinds.kind_rank(k) for k in deleted] == sorted(
        (kinds.kind_rank(k) for k in ALL_KINDS), reverse=True
    )


@pytest.mark.parametrize(
    ("pattern", "path", "covered"),
    [
        (("spec", "template"), "spec.template.spec.domain", True),
        (("spec", "template"), "spec", False),
        (("spec", "volumes", ITEM), "spec.volumes[name=root].dataVolume", True),
        (("spec", "volumes", ITEM), "spec.volumes[0]", True),
        (("spec", "volumes", ITEM), "spec.volumes", False),
        ((REST,), "anything.at[name=all]", True),
        (("metadata", "annotations", "kubevirt.io/x"), 'metadata.annotations["kubevirt.io/x"]', True),
    ],
    ids=["descendant", "ancestor", "named-item", "index-item", "list-itself", "rest", "quoted-key"],
)
def test_patterns_match_segments(pattern: tuple[object, ...], path: str, covered: bool) -> None:
    assert covers(pattern, parse_path(path)) is covered  # type: ignore[arg-type]
