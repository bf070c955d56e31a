"""One path syntax for every field we talk about.

A path is dotted keys, with list items selected by their ``name`` (``disks[name=root]``) when the list is
keyed, or by position (``disks[1]``) when it is user input that has no names yet. Examples::

    spec.template.spec.domain.devices.disks[name=root].bootOrder
    fleet.vms.web.disks[1].size
    metadata.labels["app.kubernetes.io/name"]

Keys that are not plain identifiers (labels and annotations with dots or slashes) are quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Key:
    """A mapping key."""

    key: str


@dataclass(frozen=True, slots=True)
class Index:
    """A list position (only for input that has no names)."""

    index: int


@dataclass(frozen=True, slots=True)
class Named:
    """A list item selected by the value of its key field (``name`` unless said otherwise)."""

    value: str
    field: str = "name"


Segment = Key | Index | Named

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.:/-]*")
_TOKEN = re.compile(
    r"""
    (?P<dot>\.)?
    (?:
        (?P<key>[A-Za-z_][A-Za-z0-9_-]*)
      | \[(?P<index>\d+)\]
      | \[(?P<field>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>"(?:[^"\\]|\\.)*"|[^\]]*)\]
      | \["(?P<quoted>(?:[^"\\]|\\.)*)"\]
    )
    """,
    re.VERBOSE,
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _segment_text(seg: Segment, first: bool) -> str:
    if isinstance(seg, Key):
        if _PLAIN_KEY.match(seg.key):
            return seg.key if first else "." + seg.key
        return f"[{_quote(seg.key)}]"
    if isinstance(seg, Index):
        return f"[{seg.index}]"
    value = seg.value if _PLAIN_VALUE.fullmatch(seg.value) else _quote(seg.value)
    return f"[{seg.field}={value}]"


def format_path(segments: Iterable[Segment]) -> str:
    """Render segments in the one path syntax."""
    out: list[str] = []
    for seg in segments:
        out.append(_segment_text(seg, not out))
    return "".join(out)


def parse_path(text: str) -> tuple[Segment, ...]:
    """Parse a path written in the one syntax; raises ValueError on anything else."""
    segments: list[Segment] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos or (match.group("dot") and not segments):
            raise ValueError(f"not a valid path at position {pos}: {text!r}")
        if match.group("key") is not None:
            if segments and not match.group("dot"):
                raise ValueError(f"missing '.' before {match.group('key')!r} in {text!r}")
            segments.append(Key(match.group("key")))
        elif match.group("index") is not None:
            segments.append(Index(int(match.group("index"))))
        elif match.group("quoted") is not None:
            segments.append(Key(_unquote('"' + match.group("quoted") + '"')))
        else:
            segments.append(Named(_unquote(match.group("value")), match.group("field")))
        pos = match.end()
    return tuple(segments)


def join(base: str, *parts: str | int) -> str:
    """Append keys (str) or positions (int) to a formatted path.

    ``base`` is already in the one syntax, so the new segments are formatted and appended: validation
    builds tens of thousands of paths for a large fleet, and parsing ``base`` again each time dominated it.
    """
    out = [base]
    for part in parts:
        out.append(_segment_text(Index(part) if isinstance(part, int) else Key(part), not any(out)))
    return "".join(out)


def child_named(base: str, list_key: str, name: str, field: str = "name") -> str:
    """``base.list_key[field=name]``: an item of a list keyed by ``field`` (OVF items by ``InstanceID``)."""
    return join(base, list_key) + _segment_text(Named(name, field), False)


def value_at(obj: Any, *keys: str) -> Any:
    """The value under ``keys`` in nested mappings (a decoded Kubernetes object); None if one is missing."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj
