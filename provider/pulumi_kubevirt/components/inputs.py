"""Pulumi Inputs in the Args: find them, check the known ones, resolve them to the plain Args the core takes.

The spec and the compiler take plain values only (they import no Pulumi). A user's Args may hold a
``pulumi.Output`` (or any awaitable) at a value leaf: a namespace made by another resource, an SSH key from
``pulumi_tls``, an image URL from a bucket object. The component then

1. checks every plain value at once, synchronously, with each Input replaced by a placeholder and the
   problems at an Input's path left out (:func:`problems_of_known`);
2. checks each Input's value as soon as it is known (at preview for values known then, else during
   ``pulumi up``), with the same messages, all problems at once;
3. compiles the resolved plain Args inside ``Output.all(...).apply``, so the children's inputs are Outputs
   that carry the Inputs' secrecy and their resources as dependencies.

Names and references (``name``, ``disk``, ``network``, ``device``), booleans and enum choices decide which
children exist and what Pulumi calls them, so they stay plain: an Input there is a user error.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import operator
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec import CloudInit

Parts = tuple[str | int, ...]

PLAIN_ONLY_FIELDS = frozenset({"name", "disk", "network", "device", "kind"})
"""Identities and references: they name children (Pulumi URNs) and resolve which components a VM uses."""

OPAQUE_FIELDS: frozenset[tuple[type, str]] = frozenset(
    {(CloudInit, "user_data"), (CloudInit, "network_data")}
)
"""Passed through the compiler untouched into the cloud-init Secret, so the VM itself does not turn secret."""

SECRET_MASK = "[secret]"


@dataclass(frozen=True, slots=True)
class InputLeaf:
    """One Input in the Args: where it is, the Input, and a stand-in the core accepts until it is known."""

    parts: Parts
    value: Any
    placeholder: Any


@dataclass(frozen=True, slots=True)
class FoundInputs:
    leaves: tuple[InputLeaf, ...]
    misplaced: tuple[Parts, ...]
    """Inputs where a plain value is required."""


def is_input(value: object) -> bool:
    """An Output or another awaitable: a value Pulumi resolves later."""
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


_Walk = Callable[[Any], Iterable[Any]] | None
"""What :func:`holds_input` looks into in a value: its fields or items; None for a value holding nothing."""

_WALK: dict[type, _Walk] = dict.fromkeys((str, int, float, bool, type(None)))
"""How to walk each type seen so far (plain scalars and enum members: nothing)."""


def _items(value: Any) -> Iterable[Any]:
    return value.values() if isinstance(value, Mapping) else value  # type: ignore[no-any-return]


def holds_input(value: object) -> bool:
    """Whether ``value`` holds an Input anywhere: the plain path's one cost (about 60 µs for a VM's Args)."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind in _WALK:
            walk = _WALK[kind]
        elif is_input(item):
            return True
        else:
            walk = _WALK[kind] = _how_to_walk(kind, item)
        if walk is not None:
            pending.extend(walk(item))
    return False


def _how_to_walk(kind: type, value: object) -> _Walk:
    if dataclasses.is_dataclass(kind):
        names = [field.name for field in dataclasses.fields(kind)]
        if len(names) < 2:  # attrgetter of one name gives the value itself, of several a tuple
            return (lambda item: (getattr(item, names[0]),)) if names else None
        return operator.attrgetter(*names)
    if isinstance(value, (Mapping, tuple, list)):
        return _items
    return None


def find_inputs(args: object) -> FoundInputs:
    """Every Input in ``args``, depth first in field order (deterministic)."""
    leaves: list[InputLeaf] = []
    misplaced: list[Parts] = []

    def walk(value: object, parts: Parts, hint: object, allowed: bool) -> None:
        if is_input(value):
            if allowed and _hint_takes_input(hint):
                leaves.append(InputLeaf(parts, value, _placeholder(hint)))
            else:
                misplaced.append(parts)
            return
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            hints = _type_hints(type(value))
            for field in dataclasses.fields(value):
                if (type(value), field.name) in OPAQUE_FIELDS:
                    continue
                walk(
                    getattr(value, field.name),
                    (*parts, field.name),
                    hints.get(field.name, object),
                    field.name not in PLAIN_ONLY_FIELDS,
                )
        elif isinstance(value, Mapping):
            item_hint = _item_hint(hint, mapping=True)
            for key, item in value.items():
                walk(item, (*parts, str(key)), item_hint, allowed)
        elif isinstance(value, (tuple, list)):
            item_hint = _item_hint(hint, mapping=False)
            for index, item in enumerate(value):
                walk(item, (*parts, index), item_hint, allowed)

    walk(args, (), type(args), True)
    return FoundInputs(tuple(leaves), tuple(misplaced))


def path_of(base: str, parts: Parts) -> str:
    return paths.join(base, *parts)


PLAIN_FIX = (
    "names, references, booleans and choices decide which objects exist and what Pulumi calls them: "
    "give a plain value"
)


def misplaced_problems(found: FoundInputs, base: str, *, adopt: bool, fix: str = PLAIN_FIX) -> list[Problem]:
    """Inputs where a plain value is required; an adopted object's namespace must be known (its import id)."""
    adopted_namespace = [
        Problem(
            path_of(base, ("namespace",)),
            "adopt needs a plain namespace: Pulumi imports an existing object by namespace/name",
            "give the namespace as a plain value, or drop adopt",
        )
        for leaf in found.leaves
        if adopt and leaf.parts == ("namespace",)
    ]
    return adopted_namespace + [
        Problem(
            path_of(base, parts),
            "this field takes a plain value, not a Pulumi Output",
            fix,
        )
        for parts in found.misplaced
    ]


def rebuild(args: Any, values: Mapping[Parts, Any]) -> Any:
    """``args`` with the value at each of ``values``' paths replaced (frozen dataclasses are copied)."""

    def at(value: Any, parts: Parts) -> Any:
        if parts in values:
            return values[parts]
        if not any(key[: len(parts)] == parts for key in values):
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: at(getattr(value, f.name), (*parts, f.name)) for f in dataclasses.fields(value)
            }
            return dataclasses.replace(value, **changes)
        if isinstance(value, Mapping):
            return {key: at(item, (*parts, str(key))) for key, item in value.items()}
        if isinstance(value, tuple):
            return tuple(at(item, (*parts, index)) for index, item in enumerate(value))
        if isinstance(value, list):
            return [at(item, (*parts, index)) for index, item in enumerate(value)]
        return value

    return at(args, ())


def problems_of_known(problems: Sequence[Problem], unknown_paths: Sequence[str]) -> list[Problem]:
    """The problems that are about known values alone.

    Left out: those at or under a path still standing in for an Input, and those at a path above one (a
    cross-field rule such as "keys or secret_name" may be about the stand-in), except at the component's own
    path. Every one left out is checked again once the Input is known.
    """

    def under(path: str, unknown: str) -> bool:
        return path == unknown or path.startswith((f"{unknown}.", f"{unknown}["))

    def about_unknown(path: str) -> bool:
        return any(
            under(path, unknown) or (under(unknown, path) and len(paths.parse_path(path)) > 1)
            for unknown in unknown_paths
        )

    return [p for p in problems if not about_unknown(p.path)]


def masked(problems: Sequence[Problem], secrets: Sequence[object]) -> list[Problem]:
    """The problems with every secret value's text replaced: an error must not print a secret."""
    texts = sorted({str(secret) for secret in secrets if str(secret)}, key=len, reverse=True)

    def mask(text: str) -> str:
        for secret in texts:
            text = text.replace(secret, SECRET_MASK)
        return text

    return [dataclasses.replace(p, message=mask(p.message), fix=mask(p.fix)) for p in problems]


@dataclass(frozen=True, slots=True)
class Known:
    """What a check sees of an Input: its value if known (else None) and whether it is secret."""

    known: bool
    value: Any
    secret: bool


def observe(leaf: InputLeaf) -> pulumi.Output[Known]:
    """An always-known Output of what is known of ``leaf`` (runs at preview, with unknowns)."""
    output = pulumi.Output.from_input(leaf.value)

    async def seen(value: Any) -> Known:
        known = not isinstance(value, pulumi.output.Unknown) and not pulumi.output.contains_unknowns(value)
        return Known(known, value if known else None, await output.is_secret())

    return output.apply(seen, run_with_unknowns=True)


def check_known(
    leaves: Sequence[InputLeaf],
    args: Any,
    problems_of: Callable[[Any], list[Problem]],
    base: str,
    raise_problems: Callable[[list[Problem]], None],
) -> pulumi.Output[None]:
    """An Output that fails with every problem of the Inputs known so far (unknown ones stand in)."""

    def check(seen: list[Known]) -> None:
        values = {
            leaf.parts: _as_hinted(leaf, state.value) if state.known else leaf.placeholder
            for leaf, state in zip(leaves, seen, strict=True)
        }
        unknown = [
            path_of(base, leaf.parts) for leaf, state in zip(leaves, seen, strict=True) if not state.known
        ]
        problems = problems_of_known(problems_of(rebuild(args, values)), unknown)
        raise_problems(masked(problems, [state.value for state in seen if state.secret and state.known]))

    return pulumi.Output.all(*[observe(leaf) for leaf in leaves]).apply(check)


def _as_hinted(leaf: InputLeaf, value: Any) -> Any:
    """An integer field's value comes back from the engine as a float (protobuf numbers): make it an int."""
    whole_float = isinstance(value, float) and value.is_integer()
    return int(value) if whole_float and type(leaf.placeholder) is int else value


def resolved(leaves: Sequence[InputLeaf], args: Any, checked: pulumi.Output[None]) -> pulumi.Output[Any]:
    """The plain Args once every Input is known (and checked); unknown, with the Inputs' resources, before."""
    return pulumi.Output.all(checked, *[leaf.value for leaf in leaves]).apply(
        lambda values: rebuild(
            args, {leaf.parts: value for leaf, value in zip(leaves, values[1:], strict=True)}
        )
    )


# --- type hints ------------------------------------------------------------------------------------


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved annotations, once per class (every component walks its whole Args)."""
    return typing.get_type_hints(cls)


def _members(hint: object) -> tuple[object, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(member for member in typing.get_args(hint) if member is not type(None))
    return (hint,)


def _hint_takes_input(hint: object) -> bool:
    """Plain data may come from another resource; booleans, enums and nested Args decide structure."""
    for member in _members(hint):
        if member is bool:
            return False
        if isinstance(member, type) and (issubclass(member, enum.Enum) or dataclasses.is_dataclass(member)):
            return False
        origin = typing.get_origin(member)
        if origin in (tuple, list) and not all(
            _hint_takes_input(a) for a in typing.get_args(member) if a != ...
        ):
            return False
    return True


def _item_hint(hint: object, *, mapping: bool) -> object:
    for member in _members(hint):
        args = typing.get_args(member)
        if args:
            return args[-1] if mapping else args[0]
    return object


def _placeholder(hint: object) -> Any:
    """A stand-in of the right shape: it lets the core check the known values around an unknown one."""
    member = _members(hint)[0]
    origin = typing.get_origin(member) or member
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return {}
    if origin in (tuple, list):
        return ("unknown",)
    if member is int:
        return 1
    return "unknown"
