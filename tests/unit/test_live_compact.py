"""Sharing equal field sets among decoded LIST items changes no value and drops nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_kubevirt.live.compact import RECENT_FIELD_SETS, SharedFieldSets

FIELD_NAMES = st.sampled_from(["f:spec", "f:status", "f:metadata", "f:labels", ".", 'k:{"name":"root"}'])
FIELD_SETS = st.recursive(
    st.just({}), lambda inner: st.dictionaries(FIELD_NAMES, inner, min_size=1, max_size=3), max_leaves=8
)
ENTRIES = st.fixed_dictionaries(
    {
        "manager": st.sampled_from(["pulumi-kubernetes", "virt-controller", "kubectl-edit"]),
        "operation": st.sampled_from(["Apply", "Update"]),
        "apiVersion": st.just("kubevirt.io/v1"),
        "time": st.sampled_from(["2026-11-30T07:37:17Z", "2026-11-30T07:38:10Z"]),
        "fieldsType": st.just("FieldsV1"),
        "fieldsV1": FIELD_SETS,
    },
    optional={"subresource": st.just("status")},
)
ITEMS = st.lists(
    st.fixed_dictionaries(
        {"metadata": st.fixed_dictionaries({"name": st.text(max_size=5), "managedFields": st.lists(ENTRIES)})}
    ),
    max_size=12,
)


def decoded(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items as ``json.loads`` gives them: every tree its own copy."""
    loaded: list[dict[str, Any]] = json.loads(json.dumps(items))
    return loaded


@settings(max_examples=200, deadline=None)
@given(ITEMS)
def test_every_item_keeps_every_value(items: list[dict[str, Any]]) -> None:
    fresh = decoded(items)
    before = copy.deepcopy(fresh)

    SharedFieldSets().share(fresh)

    assert fresh == before


def vm(name: str, fields: dict[str, Any], manager: str = "pulumi-kubernetes") -> dict[str, Any]:
    entry = {"manager": manager, "operation": "Apply", "time": "2026-11-30T07:37:17Z", "fieldsV1": fields}
    return {"metadata": {"name": name, "managedFields": [entry]}}


def field_set(item: dict[str, Any]) -> Any:
    return item["metadata"]["managedFields"][0]["fieldsV1"]


SPEC = {"f:spec": {"f:runStrategy": {}, "f:template": {"f:spec": {"f:domain": {}}}}}


def test_equal_field_sets_become_one_object_across_answers() -> None:
    shared = SharedFieldSets()
    first, second = decoded([vm("a", SPEC), vm("b", SPEC)]), decoded([vm("c", SPEC)])

    shared.share(first)
    shared.share(second)

    assert field_set(first[0]) is field_set(first[1]) is field_set(second[0])


def test_different_field_sets_and_other_managers_stay_apart() -> None:
    other: dict[str, Any] = {"f:spec": {"f:runStrategy": {}, "f:template": {"f:spec": {"f:networks": {}}}}}
    items = decoded([vm("a", SPEC), vm("b", other), vm("c", SPEC, manager="kubectl-edit")])

    SharedFieldSets().share(items)

    assert [field_set(item) for item in items] == [SPEC, other, SPEC]
    assert field_set(items[0]) is not field_set(items[2])


def test_a_field_set_unique_to_each_object_does_not_evict_the_shared_ones_beyond_the_window() -> None:
    def owned_by(uid: int) -> dict[str, Any]:
        return {"f:metadata": {"f:ownerReferences": {f'k:{{"uid":"{uid}"}}': {}}}}

    unique = [vm(f"u{i}", owned_by(i)) for i in range(RECENT_FIELD_SETS - 1)]
    items = decoded([vm("a", owned_by(100)), *unique, vm("b", owned_by(100))])

    SharedFieldSets().share(items)

    assert field_set(items[0]) is field_set(items[-1])
    assert len({id(field_set(item)) for item in items}) == RECENT_FIELD_SETS


def test_what_a_field_set_unique_to_its_object_has_in_common_with_the_others_is_shared() -> None:
    def claim(uid: int) -> dict[str, Any]:
        owner = {f'k:{{"uid":"{uid}"}}': {".": {}, "f:uid": {}}}
        return {"f:metadata": {"f:ownerReferences": owner}, "f:spec": {"f:resources": {"f:requests": {}}}}

    items = decoded([vm(f"claim-{uid}", claim(uid), manager="cdi-controller") for uid in range(3)])

    SharedFieldSets().share(items)

    sets = [field_set(item) for item in items]
    assert sets == [claim(uid) for uid in range(3)]
    assert sets[0] is not sets[1]
    assert sets[0]["f:spec"] is sets[1]["f:spec"] is sets[2]["f:spec"]
