"""The TypeScript declarations the example is type-checked against (``scripts/typescript-check``) are the
schema's: regenerated from ``package/schema.json`` they equal the checked-in file, and they keep the schema's
split between values that take a Pulumi Input and values that must be plain."""

from __future__ import annotations

import json

import pytest

import schema_typescript

SCHEMA = json.loads(schema_typescript.SCHEMA.read_text())


def test_the_checked_in_declarations_are_a_fresh_generation_from_the_schema() -> None:
    assert schema_typescript.DECLARATIONS.read_text() == schema_typescript.declarations(SCHEMA)
    assert schema_typescript.main(["check"]) == 0


@pytest.mark.parametrize(
    ("resource", "field", "expected"),
    [
        pytest.param("VirtualMachine", "namespace", "namespace: pulumi.Input<string>;", id="namespace-input"),
        pytest.param("VirtualMachine", "name", "name: string;", id="name-plain"),
        pytest.param(
            "VirtualMachine", "runStrategy", "runStrategy?: types.enums.RunStrategy;", id="enum-plain"
        ),
        pytest.param("Disk", "size", "size: pulumi.Input<string>;", id="size-input"),
        pytest.param(
            "Network", "labels", "labels?: pulumi.Input<{[key: string]: string}>;", id="labels-map-input"
        ),
    ],
)
def test_each_input_property_is_declared_as_the_schema_says(resource: str, field: str, expected: str) -> None:
    text = schema_typescript.declarations(SCHEMA)
    args = text.split(f"\n    interface {resource}Args {{", 1)[1].split("\n    }", 1)[0]
    assert f"        {expected}" in args.splitlines()


def test_outputs_are_plain_inside() -> None:
    text = schema_typescript.declarations(SCHEMA)
    assert "readonly diskNames: pulumi.Output<string[]>;" in text
    assert "pulumi.Output<pulumi.Input" not in text


def test_a_plain_property_in_the_schema_loses_its_input_wrapper() -> None:
    prop = {"type": "array", "items": {"type": "string"}}
    assert schema_typescript.type_of(prop, {}) == "pulumi.Input<pulumi.Input<string>[]>"
    assert schema_typescript.type_of({**prop, "plain": True}, {}) == "pulumi.Input<string>[]"
