"""Bring live objects into the desired manifest's terms so that only real differences remain.

Why: the API server and KubeVirt write fields we never set (status, server metadata, defaults, firmware ids);
which ones is a platform fact, in ``facts.platform``.
Server-side apply gives pulumi-kubernetes the same scope we use here: only the fields the desired manifest
declares (plus fields our field manager owned before and no longer declares, which the next apply removes).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from pulumi_kubevirt.core.paths import Segment
from pulumi_kubevirt.core.quantity import quantities_equal
from pulumi_kubevirt.facts.kinds import CONFIG_MAP, SECRET, VM
from pulumi_kubevirt.facts.pattern import covers_keys, keys_of
from pulumi_kubevirt.facts.platform import (
    DROPPED_METADATA,
    DROPPED_TOP,
    INFER_IGNORE,
    INFERRED_MATCHERS,
    PLATFORM_FIELDS,
    PlatformField,
)
from pulumi_kubevirt.facts.quantities import is_quantity_key

Path = tuple[Segment, ...]

OUR_MANAGER_PREFIX = "pulumi-kubernetes"

OPAQUE_KINDS = frozenset({SECRET, CONFIG_MAP})
"""Kinds whose values are opaque strings: ``size: 1Gi`` in a Secret is text, never compared as a quantity."""


def platform_field(kind: str, path: Path) -> PlatformField | None:
    """The platform row that covers ``path`` of a ``kind``, if any."""
    keys = keys_of(path)
    for row in PLATFORM_FIELDS:
        if row.kind == kind and covers_keys(row.pattern, keys):
            return row
    return None


def is_keyed_list(value: list[Any]) -> bool:
    """Lists of objects that all carry a ``name`` are keyed by it (disks, interfaces, volumes, ports...)."""
    for item in value:
        if type(item) is not dict or "name" not in item:
            return False
    return bool(value)


def strip_server_fields(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy without status and server metadata (the rest is shared, never mutated)."""
    out = {k: v for k, v in manifest.items() if k not in DROPPED_TOP}
    metadata = manifest.get("metadata")
    if type(metadata) is dict:
        out["metadata"] = {k: v for k, v in metadata.items() if k not in DROPPED_METADATA}
    return out


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        raw = base64.b64decode(value, validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value


def normalise_secret(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``stringData`` (plain) into ``data`` and decode ``data`` (base64), as the API server does."""
    out = dict(manifest)
    data = {k: _decode(v) for k, v in (manifest.get("data") or {}).items()}
    data.update(manifest.get("stringData") or {})
    out.pop("stringData", None)
    if data or "data" in manifest:
        out["data"] = data
    return out


def normalise(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Desired or live, the comparable form: no server fields, Secret values decoded."""
    out = strip_server_fields(manifest)
    if out.get("kind") == SECRET and out.get("apiVersion") == "v1":
        out = normalise_secret(out)
    return out


OwnedTree = dict[Any, Any]
"""Parsed ``fieldsV1``: keys are field names or ``("name", value)`` for keyed items; leaves are ``{}``."""


def parse_fields_v1(fields: Mapping[str, Any]) -> OwnedTree:
    """``{"f:spec": {"f:runStrategy": {}}}`` -> ``{"spec": {"runStrategy": {}}}``; list items by name."""
    tree: OwnedTree = {}
    for raw, sub in fields.items():
        if raw == ".":
            continue
        prefix, _, rest = raw.partition(":")
        child = parse_fields_v1(sub) if isinstance(sub, Mapping) else {}
        if prefix == "f":
            tree[rest] = child
        elif prefix == "k":
            try:
                keyed = json.loads(rest)
            except ValueError:
                continue
            if isinstance(keyed, dict) and "name" in keyed:
                tree[("name", str(keyed["name"]))] = child
        elif prefix == "v":
            tree[("value", rest)] = child
        elif prefix == "i":
            tree[("index", rest)] = child
    return tree


def owned_by(managed_fields: Any, prefix: str = OUR_MANAGER_PREFIX) -> RawFields | None:
    """The raw ``fieldsV1`` of every manager whose name starts with ``prefix``, merged (None when none).

    Kept raw (``f:spec``, ``k:{"name":"root"}``): parsing costs more than the whole no-op plan of an object.
    """
    if type(managed_fields) is not list:
        return None
    merged: RawFields | None = None
    for entry in managed_fields:
        if type(entry) is not dict or not str(entry.get("manager", "")).startswith(prefix):
            continue
        fields = entry.get("fieldsV1") or {}
        merged = fields if merged is None else _merge(merged, fields)
    return merged


RawFields = dict[str, Any]
"""``fieldsV1`` as the API server returns it."""


def _merge(a: dict[Any, Any], b: dict[Any, Any]) -> dict[Any, Any]:
    out = dict(a)
    for key, sub in b.items():
        out[key] = _merge(out[key], sub) if key in out else sub
    return out


def prune(live: Any, desired: Any, owned: RawFields | None = None, *, quantities: bool = True) -> Any:
    """Live restricted to the desired field set.

    Keyed lists keep every live item (an item we no longer declare is a removal), each pruned to the desired
    item of the same name; other lists are atomic. Quantities equal by value take the desired spelling, so a
    plain ``==`` afterwards finds only real differences. Keys we owned before (``owned``) stay, as removals.
    This is the engine's hot loop: exact ``type`` checks, no allocation for lists that are not keyed.
    """
    if type(desired) is dict:
        if type(live) is not dict:
            return live
        out: dict[str, Any] = {}
        for key, want in desired.items():
            if key in live:
                got = live[key]
                if got != want:
                    got = prune(got, want, owned.get("f:" + key) if owned else None, quantities=quantities)
                    if quantities and got != want and is_quantity_key(key) and quantities_equal(got, want):
                        got = want
                out[key] = got
        if owned:
            for raw in owned:
                key = raw[2:]
                if raw[:2] == "f:" and key not in desired and key in live:
                    out[key] = live[key]
        return out
    if type(desired) is list and type(live) is list and is_keyed_list(desired):
        wanted = {item["name"]: item for item in desired}
        items: list[Any] = []
        for item in live:
            name = item.get("name") if type(item) is dict else None
            if name in wanted:
                want = wanted[name]
                sub_owned = owned.get(f'k:{{"name":"{name}"}}') if owned else None
                items.append(item if item == want else prune(item, want, sub_owned, quantities=quantities))
            else:
                items.append(item)
        return items
    return live


def count_leaves(value: Any) -> int:
    """How many fields a manifest declares (scalars and atomic lists), for ``(N unchanged fields hidden)``."""
    return _leaves(value)


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values()) or 1
    if isinstance(value, list) and is_keyed_list(value):
        return sum(_leaves(v) for v in value) or 1
    return 1


def neutralise_unplugged(kind: str, live: dict[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Interfaces (and their networks) marked ``state: absent`` match once KubeVirt has removed them."""
    if kind != VM:
        return live
    tmpl = ((desired.get("spec") or {}).get("template") or {}).get("spec") or {}
    interfaces = ((tmpl.get("domain") or {}).get("devices") or {}).get("interfaces") or []
    absent = {
        i["name"] for i in interfaces if isinstance(i, dict) and i.get("state") == "absent" and "name" in i
    }
    if not absent:
        return live
    live_tmpl = ((live.get("spec") or {}).get("template") or {}).get("spec")
    if not isinstance(live_tmpl, dict):
        return live
    live_ifaces = ((live_tmpl.get("domain") or {}).get("devices") or {}).get("interfaces") or []
    present = {i.get("name") for i in live_ifaces if isinstance(i, dict)}
    gone = absent - present
    if not gone:
        return live
    new_tmpl = dict(live_tmpl)
    domain = dict(new_tmpl.get("domain") or {})
    devices = dict(domain.get("devices") or {})
    devices["interfaces"] = list(live_ifaces) + [i for i in interfaces if i.get("name") in gone]
    domain["devices"] = devices
    new_tmpl["domain"] = domain
    live_networks = list(new_tmpl.get("networks") or [])
    live_net_names = {n.get("name") for n in live_networks if isinstance(n, dict)}
    for net in tmpl.get("networks") or []:
        if isinstance(net, dict) and net.get("name") in gone and net.get("name") not in live_net_names:
            live_networks.append(net)
    if live_networks:
        new_tmpl["networks"] = live_networks
    spec = dict(live["spec"])
    template = dict(spec["template"])
    template["spec"] = new_tmpl
    spec["template"] = template
    out = dict(live)
    out["spec"] = spec
    return out


def neutralise_inferred(kind: str, live: dict[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """A matcher we ask KubeVirt to infer (``inferFromVolume``) matches what its webhook wrote in its place.

    The webhook replaces ``{inferFromVolume}`` with ``{name, kind}``; under failure policy Ignore it drops
    the matcher when no label names one, and the fallback ``domain.memory`` when one does (rows
    ``Treatment.INFERRED`` in ``facts.platform``). Without this every plan would show the rewrite as a change.
    A matcher still holding ``inferFromVolume`` (not yet admitted) compares as it is.
    """
    if kind != VM:
        return live
    want_spec = desired.get("spec") or {}
    spec = live.get("spec")
    if type(spec) is not dict:
        return live
    new_spec: dict[str, Any] | None = None
    for matcher in INFERRED_MATCHERS:
        want = want_spec.get(matcher)
        if type(want) is not dict or not want.get("inferFromVolume"):
            continue
        got = spec.get(matcher)
        ignore = want.get("inferFromVolumeFailurePolicy") == INFER_IGNORE
        inferred = type(got) is dict and bool(got.get("name")) and not got.get("inferFromVolume")
        if not inferred and not (got is None and ignore):
            continue
        new_spec = dict(spec) if new_spec is None else new_spec
        new_spec[matcher] = want
        if matcher == "instancetype" and inferred and ignore:
            new_spec = _with_desired_memory(new_spec, want_spec)
    if new_spec is None:
        return live
    return {**live, "spec": new_spec}


def _with_desired_memory(spec: dict[str, Any], want_spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with the desired fallback memory where the webhook dropped it."""
    want_memory = (((want_spec.get("template") or {}).get("spec") or {}).get("domain") or {}).get("memory")
    template = spec.get("template")
    if want_memory is None or type(template) is not dict:
        return spec
    tmpl_spec = template.get("spec")
    if type(tmpl_spec) is not dict:
        return spec
    domain = tmpl_spec.get("domain")
    if type(domain) is not dict or "memory" in domain:
        return spec
    domain = {**domain, "memory": want_memory}
    return {**spec, "template": {**template, "spec": {**tmpl_spec, "domain": domain}}}


def comparable_live(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Live normalised, platform-neutralised and pruned to the desired field set."""
    owned = owned_by((live.get("metadata") or {}).get("managedFields"))
    kind = str(desired.get("kind", ""))
    flat = neutralise_inferred(kind, neutralise_unplugged(kind, normalise(live), desired), desired)
    opaque = desired.get("kind") in OPAQUE_KINDS
    pruned: dict[str, Any] = prune(flat, desired, owned, quantities=not opaque)
    return pruned
