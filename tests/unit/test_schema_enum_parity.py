"""The closed vocabularies and the JSON Schemas say the same thing.

A config value is checked twice: by the JSON Schema (``schemas/*.schema.json``, the shape a user sees) and by
the StrEnum the loader builds (``spec/model.py``, what the compiler maps). If one side gains a value the other
lacks, a user either gets a schema error for a value the code supports or a traceback for a value the schema
let through. The table below says which enum each schema property is; the checks hold both sides equal and
make sure that no schema enum and no StrEnum is left out of the table.
"""

from __future__ import annotations

import enum
import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest

from package_data import SCHEMAS_SOURCE as SCHEMAS_DIR
from pulumi_kubevirt.plan import model as plan_model
from pulumi_kubevirt.spec import model as spec_model

# (schema file, JSON pointer to the schema that has the ``enum``) -> the StrEnum it must equal.
PARITY: dict[tuple[str, str], type[enum.StrEnum]] = {
    ("disk", "/$defs/registry/properties/pull_method"): spec_model.PullMethod,
    ("disk", "/properties/access_modes/items"): spec_model.AccessMode,
    ("disk", "/properties/volume_mode"): spec_model.VolumeMode,
    ("fleet", "/properties/defaults/properties/run_strategy"): spec_model.RunStrategy,
    ("fleet", "/properties/defaults/properties/eviction_strategy"): spec_model.EvictionStrategy,
    ("fleet", "/properties/defaults/properties/wait_for"): spec_model.WaitFor,
    ("fleet", "/properties/defaults/properties/restart_policy"): spec_model.RestartPolicy,
    ("fleet", "/properties/clones/additionalProperties/properties/source_kind"): spec_model.CloneSourceKind,
    ("fleet", "/properties/pools/additionalProperties/properties/update"): spec_model.PoolUpdate,
    ("network", "/$defs/ipam/properties/type"): spec_model.IpamType,
    ("network", "/properties/type"): spec_model.NetworkType,
    ("network", "/properties/macvlan_mode"): spec_model.MacvlanMode,
    ("virtualmachine", "/$defs/registry/properties/pull_method"): spec_model.PullMethod,
    ("virtualmachine", "/$defs/disk_attachment/properties/bus"): spec_model.DiskBus,
    ("virtualmachine", "/$defs/disk_attachment/properties/cache"): spec_model.CacheMode,
    ("virtualmachine", "/$defs/disk_attachment/properties/kind"): spec_model.AttachmentKind,
    ("virtualmachine", "/properties/instancetype/properties/kind"): spec_model.InstancetypeKind,
    ("virtualmachine", "/properties/preference/properties/kind"): spec_model.PreferenceKind,
    (
        "virtualmachine",
        "/properties/instancetype/properties/on_failure",
    ): spec_model.InferFailurePolicy,
    (
        "virtualmachine",
        "/properties/preference/properties/on_failure",
    ): spec_model.InferFailurePolicy,
    ("virtualmachine", "/properties/firmware/properties/kind"): spec_model.FirmwareKind,
    ("virtualmachine", "/properties/run_strategy"): spec_model.RunStrategy,
    ("virtualmachine", "/properties/eviction_strategy"): spec_model.EvictionStrategy,
    ("virtualmachine", "/properties/cdroms/items/properties/bus"): spec_model.CdromBus,
    ("virtualmachine", "/properties/root_disk/properties/access_modes/items"): spec_model.AccessMode,
    ("virtualmachine", "/properties/root_disk/properties/volume_mode"): spec_model.VolumeMode,
    ("virtualmachine", "/properties/root_disk/properties/bus"): spec_model.DiskBus,
    ("virtualmachine", "/properties/nics/items/properties/binding"): spec_model.NicBinding,
    ("virtualmachine", "/properties/nics/items/properties/model"): spec_model.NicModel,
    (
        "virtualmachine",
        "/properties/nics/items/properties/ports/items/properties/protocol",
    ): spec_model.Protocol,
    ("virtualmachine", "/properties/cloud_init/properties/kind"): spec_model.CloudInitKind,
    ("virtualmachine", "/properties/ssh_keys/properties/propagation"): spec_model.SshPropagation,
    ("virtualmachine", "/properties/service/properties/type"): spec_model.ServiceType,
    ("virtualmachine", "/properties/service/properties/ports/items/properties/protocol"): spec_model.Protocol,
    ("virtualmachine", "/properties/wait_for"): spec_model.WaitFor,
    ("virtualmachine", "/properties/wait_ip_family"): spec_model.IpFamily,
    ("virtualmachine", "/properties/restart_policy"): spec_model.RestartPolicy,
    ("virtualmachine", "/$defs/memory/properties/hugepages"): spec_model.HugepageSize,
    ("virtualmachine", "/properties/sysprep/properties/bus"): spec_model.CdromBus,
    ("virtualmachine", "/properties/sysprep/properties/source_kind"): spec_model.SysprepSourceKind,
    (
        "virtualmachine",
        "/properties/container_disks/items/properties/image_pull_policy",
    ): spec_model.PullPolicy,
    ("virtualmachine", "/properties/container_disks/items/properties/bus"): spec_model.DiskBus,
    # The plan JSON (kvplan plan --out, kvplan show) is a contract too.
    ("plan", "/$defs/impact"): plan_model.Impact,
    ("plan", "/$defs/action"): plan_model.Action,
    ("plan", "/$defs/change/properties/op"): plan_model.ChangeOp,
    ("plan", "/$defs/finding/properties/kind"): plan_model.DriftKind,
}
SCHEMAS = ("disk", "fleet", "network", "virtualmachine", "plan")


def load(schema: str) -> Any:
    return json.loads((SCHEMAS_DIR / f"{schema}.schema.json").read_text(encoding="utf-8"))


def resolve(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (RFC 6901)."""
    node = document
    for escaped in pointer.lstrip("/").split("/"):
        token = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def enum_locations(node: Any, pointer: str = "") -> Iterator[str]:
    """The JSON pointer of every schema node that has an ``enum``."""
    if isinstance(node, dict):
        if "enum" in node:
            yield pointer
        for key, value in node.items():
            yield from enum_locations(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from enum_locations(value, f"{pointer}/{index}")


def str_enums(module: Any) -> set[type[enum.StrEnum]]:
    return {
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, enum.StrEnum) and value.__module__ == module.__name__
    }


def mismatch(allowed: list[str], vocabulary: type[enum.StrEnum]) -> str:
    """Why a schema's ``enum`` and a StrEnum differ, or "" when they hold the same values once each."""
    values = sorted(member.value for member in vocabulary)
    if len(set(allowed)) != len(allowed):
        return f"the schema lists a value twice: {allowed}"
    if sorted(allowed) != values:
        return (
            f"the schema allows {sorted(allowed)}, {vocabulary.__name__} has {values}: "
            "add the missing value to the other side"
        )
    return ""


@pytest.mark.parametrize(
    ("schema", "pointer", "vocabulary"),
    [
        pytest.param(schema, pointer, vocabulary, id=f"{schema}{pointer}")
        for (schema, pointer), vocabulary in PARITY.items()
    ],
)
def test_schema_enum_equals_the_str_enum(schema: str, pointer: str, vocabulary: type[enum.StrEnum]) -> None:
    assert mismatch(resolve(load(schema), pointer)["enum"], vocabulary) == "", f"{schema}{pointer}"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_enum_in_the_schema_is_in_the_parity_table(schema: str) -> None:
    found = set(enum_locations(load(schema)))
    assert found == {pointer for (name, pointer) in PARITY if name == schema}


@pytest.mark.parametrize(
    "module",
    [pytest.param(spec_model, id="spec.model"), pytest.param(plan_model, id="plan.model")],
)
def test_every_vocabulary_a_user_writes_is_in_the_parity_table(module: Any) -> None:
    """A new StrEnum users can write (spec) or read (plan JSON) needs its schema enum, and a row here."""
    assert str_enums(module) == set(PARITY.values()) & str_enums(module)


def test_a_value_added_on_either_side_is_a_mismatch() -> None:
    allowed = list(load("network")["properties"]["type"]["enum"])
    assert mismatch(allowed, spec_model.NetworkType) == ""
    assert "NetworkType has" in mismatch([*allowed, "ipvlan"], spec_model.NetworkType)
    members = {member.name: member.value for member in spec_model.NetworkType}
    wider = enum.StrEnum("NetworkType", {**members, "IPVLAN": "ipvlan"})  # type: ignore[misc]
    assert "ipvlan" in mismatch(allowed, wider)
    assert "twice" in mismatch([*allowed, allowed[0]], spec_model.NetworkType)
