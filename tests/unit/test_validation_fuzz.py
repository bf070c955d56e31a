"""Property tests: one field of a valid fleet config changed at a time, the change drawn from the JSON Schema.

For every change the invariant holds: the config is rejected with problems that each name a path under
``fleet`` (and say what is wrong and how to fix it), or it is accepted, compiles without an exception, and
every compiled object passes the strict upstream schemas and the rule table (``validate_against_upstream``);
the cluster-dependent rules never raise either. Never a traceback.

Why not hypothesis-jsonschema: its last release (0.23.1, 2024-02) supports drafts 4 to 7 and resolves
``$ref`` through jsonschema's deprecated RefResolver, while our schemas are draft 2020-12 with cross-file
``$ref``; and whole random documents would almost all fail at the first key, far from the semantic checks.
Mutating one field of a rich valid config reaches every check. Examples are bounded and derandomized, so
CI sees the same cases.
"""

from __future__ import annotations

import copy
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.core.packaged import PRODUCT_DATA
from pulumi_kubevirt.spec import StackContext
from pulumi_kubevirt.spec.fleet import SCHEMA_FILES, load_fleet
from pulumi_kubevirt.spec.upstream import validate_against_upstream
from pulumi_kubevirt.spec.validate import check_cluster
from pulumi_kubevirt.spec.validate.cluster import ClusterSettings

CTX = StackContext(project="fuzz", stack="ci")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3example user@host"

BASE: dict[str, Any] = {
    "defaults": {"namespace": "web", "storage_class": "fast", "labels": {"team": "ops"}},
    "namespaces": ["web"],
    "networks": {
        "vlan": {
            "type": "bridge",
            "bridge": "br1",
            "vlan": 10,
            "mtu": 1500,
            "ipam": {"type": "static", "addresses": ["10.0.0.5/24"], "gateway": "10.0.0.1"},
        },
        "mac": {
            "type": "macvlan",
            "macvlan_master": "eth1",
            "macvlan_mode": "bridge",
            "ipam": {"type": "dhcp"},
        },
        "pool": {"type": "bridge", "bridge": "br2", "ipam": {"type": "whereabouts", "range": "10.1.0.0/24"}},
    },
    "disks": {
        "data": {"size": "10Gi", "source": {"blank": {}}, "access_modes": ["ReadWriteOnce"]},
        "img": {"size": "1Gi", "source": {"http": "https://images.example/x.img"}},
        "scratch": {"size": "2Gi", "pvc_only": True},
    },
    "vms": {
        "web": {
            "cpu": {"vcpus": 2, "max_sockets": 4},
            "memory": {"guest": "2Gi", "max_guest": "4Gi"},
            "resources": {"requests": {"memory": "2Gi"}},
            "root_disk": {"image": {"registry": "docker://quay.io/x/y:1"}, "size": "10Gi"},
            "disks": ["data", {"disk": "img", "read_only": True, "boot_order": 2}, "scratch"],
            "cdroms": [{"name": "cd", "bus": "sata"}],
            "nics": [
                {"name": "default", "ports": [{"port": 80, "name": "http"}]},
                {"name": "v", "network": "vlan", "binding": "bridge", "mac_address": "02:00:00:00:00:10"},
                {"name": "m", "network": "mac", "binding": "bridge"},
            ],
            "cloud_init": {
                "user_data": "#cloud-config\nusers:\n  - name: ops\n",
                "network_data": "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n",
            },
            "ssh_keys": {"keys": [KEY]},
            "service": {"type": "NodePort", "ports": [{"name": "http", "port": 80, "node_port": 30080}]},
            "tolerations": [{"key": "a", "operator": "Exists"}],
            "node_selector": {"zone": "a"},
            "firmware": {"kind": "uefi", "secure_boot": True},
            "machine_type": "q35",
        },
        "db": {
            "instancetype": "u1.medium",
            "preference": {"name": "fedora"},
            "root_disk": {"image": {"http": {"url": "https://images.example/db.qcow2"}}, "size": "20Gi"},
            "nics": [{"name": "default"}, {"name": "p", "network": "pool", "binding": "bridge"}],
            "cloud_init": {"user_data": "#!/bin/sh\necho hi\n", "kind": "configdrive"},
            "ssh_keys": {"secret_name": "db-keys", "propagation": "guest-agent", "users": ["fedora"]},
            "run_strategy": "Halted",
        },
    },
}


def _documents() -> dict[str, dict[str, Any]]:
    """The fleet schemas as the loader reads them (package data), keyed by ``$id`` for ``$ref``."""
    documents = {}
    for name in SCHEMA_FILES:
        document = PRODUCT_DATA.read_json(f"schemas/{name}.schema.json", "is a fleet schema the fuzzer walks")
        documents[document["$id"]] = document
    return documents


DOCUMENTS = _documents()
FLEET_ID = next(key for key in DOCUMENTS if key.endswith("fleet.schema.json"))


def _resolve(node: dict[str, Any], base: str) -> tuple[dict[str, Any], str]:
    while "$ref" in node:
        target, _, pointer = urllib.parse.urljoin(base, node["$ref"]).partition("#")
        base = target
        node = DOCUMENTS[target]
        for part in [p for p in pointer.split("/") if p]:
            node = node[part]
    return node, base


def _alternatives(node: dict[str, Any], base: str) -> list[tuple[dict[str, Any], str]]:
    node, base = _resolve(node, base)
    found = [(node, base)]
    for key in ("oneOf", "anyOf", "allOf"):
        for option in node.get(key, []):
            found += _alternatives(option, base)
    return found


def schema_at(path: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Every schema (of every oneOf/anyOf branch) that may describe the value at ``path``."""
    nodes = _alternatives(DOCUMENTS[FLEET_ID], FLEET_ID)
    for part in path:
        following: list[tuple[dict[str, Any], str]] = []
        for node, base in nodes:
            if isinstance(part, int) and "items" in node:
                following += _alternatives(node["items"], base)
            elif isinstance(part, str) and part in node.get("properties", {}):
                following += _alternatives(node["properties"][part], base)
            elif isinstance(part, str) and isinstance(node.get("additionalProperties"), dict):
                following += _alternatives(node["additionalProperties"], base)
        nodes = following
    return [node for node, _ in nodes]


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [prefix] + [p for k, v in value.items() for p in leaf_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [prefix] + [p for i, v in enumerate(value) for p in leaf_paths(v, (*prefix, i))]
    return [prefix]


PATHS = [p for p in leaf_paths(BASE) if p]

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**33), max_value=2**33),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def _schema_value(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value the schema node may accept (so the change reaches the semantic checks and the compiler)."""
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    options: list[st.SearchStrategy[Any]] = []
    if "integer" in kinds:
        low = node.get("minimum", -5)
        options.append(st.integers(min_value=low - 2, max_value=node.get("maximum", low + 70000) + 2))
    if "boolean" in kinds:
        options.append(st.booleans())
    if "string" in kinds:
        if "pattern" in node:
            options.append(st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: len(s) < 80))
        options.append(st.text(max_size=20))
        options.append(
            st.sampled_from(
                ["web", "data", "img", "vlan", "root", "cloudinit", "0", "1Mi", "512Ki", "Br_1", "a" * 70, ""]
            )
        )
    return st.one_of(*options) if options else junk


@st.composite
def one_change(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], Any]:
    path = draw(st.sampled_from(PATHS))
    action = draw(st.sampled_from(["schema", "schema", "junk", "delete", "unknown-key"]))
    if action == "schema":
        nodes = schema_at(path)
        value = draw(st.one_of(*[_schema_value(n) for n in nodes])) if nodes else draw(junk)
        return action, path, value
    return action, path, draw(junk)


def changed(action: str, path: tuple[Any, ...], value: Any) -> Any:
    config = copy.deepcopy(BASE)
    node: Any = config
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if action == "delete":
        del node[last]
    elif action == "unknown-key" and isinstance(node, dict):
        node[f"{last}x"] = value
    else:
        node[last] = value
    return config


def test_the_base_config_is_valid_and_clean_upstream() -> None:
    fleet = load_fleet(BASE)
    manifests = compile_fleet(fleet, CTX)
    assert [p.line() for m in manifests for p in validate_against_upstream(m)] == []
    assert (
        check_cluster(fleet, ClusterSettings(rollout_strategy="LiveUpdate", architecture="amd64")).errors
        == ()
    )


def test_schema_walk_finds_a_schema_for_every_path_but_free_form_ones() -> None:
    """Tolerations are passed through as Kubernetes wrote them; every other field has a schema."""
    assert {path[:4] for path in PATHS if not schema_at(path)} == {("vms", "web", "tolerations", 0)}


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(change=one_change())
def test_one_change_is_rejected_with_a_path_or_compiles_clean(
    change: tuple[str, tuple[Any, ...], Any],
) -> None:
    config = changed(*change)
    try:
        fleet = load_fleet(config)
    except ValidationError as error:
        problems = error.problems
    else:
        problems = ()
    if problems:
        for problem in problems:
            assert problem.path.startswith("fleet"), problem
            assert problem.message, problem
            assert problem.fix, problem
        return
    manifests = compile_fleet(fleet, CTX)
    assert [p.line() for m in manifests for p in validate_against_upstream(m)] == []
    for settings_ in (
        None,
        ClusterSettings(rollout_strategy="Stage", architecture="arm64", emulated_machines=()),
    ):
        check_cluster(fleet, settings_)
