"""Decoded LIST items hold what repeats once: equal ``managedFields`` field sets share one tree.

Why: a manager's ``fieldsV1`` is the same tree on every object it wrote the same way (the apply of 5,000 VMs
gives 5,000 equal copies), and these trees were half the memory of a 5,000-VM live read (bench/README.md,
``plan_scale.py``). Every value stays equal to what the API server sent, and nothing here drops a field:
only equal trees and equal short strings become one object. Readers never mutate live objects, so sharing
is invisible to them. Runs on each LIST answer as soon as it is decoded, so the copies are never all held.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

RECENT_FIELD_SETS = 4
"""Distinct field sets remembered per manager, operation, subresource, place in the tree and field names:
the few shapes one manager writes on one kind. A set unique to one object (an owner's uid in it) is held
as itself, its parts shared with the other objects' equal parts."""

_ENTRY_STRINGS = ("manager", "operation", "apiVersion", "time", "fieldsType", "subresource")
"""The short strings of a ``managedFields`` entry, repeated on every object (``time`` to the second)."""

FieldSetKey = tuple[Any, ...]


class SharedFieldSets:
    """Remembers the field sets seen in one read and hands back the first equal one instead of a copy.

    Thread-safe enough for the reader's worker threads: a lost race only misses one sharing.
    """

    def __init__(self) -> None:
        self._recent: dict[FieldSetKey, list[dict[str, Any]]] = {}

    def share(self, items: Iterable[Any]) -> None:
        """Make each item's ``metadata.managedFields`` use the shared trees and strings, in place."""
        for item in items:
            metadata = item.get("metadata") if type(item) is dict else None
            entries = metadata.get("managedFields") if type(metadata) is dict else None
            if type(entries) is not list:
                continue
            for entry in entries:
                if type(entry) is dict:
                    self._share_entry(entry)

    def _share_entry(self, entry: dict[str, Any]) -> None:
        for name in _ENTRY_STRINGS:
            value = entry.get(name)
            if type(value) is str:
                entry[name] = sys.intern(value)
        fields = entry.get("fieldsV1")
        if type(fields) is dict and fields:
            scope = (entry.get("manager"), entry.get("operation"), entry.get("subresource"))
            entry["fieldsV1"] = self._shared(scope, fields)

    def _shared(self, scope: FieldSetKey, fields: dict[str, Any]) -> dict[str, Any]:
        """The remembered tree equal to ``fields``; else ``fields``, remembered, its subtrees shared.

        Going down a tree seen for the first time is what shares the rest of a set that differs from the
        others in one place (a controller's owner reference, keyed by the owner's uid).
        """
        recent = self._recent.setdefault((*scope, tuple(fields)), [])
        for known in recent:
            if known == fields:
                return known
        recent.insert(0, fields)
        del recent[RECENT_FIELD_SETS:]
        for name, sub in fields.items():
            if type(sub) is dict and sub:
                fields[name] = self._shared((*scope, name), sub)
        return fields
