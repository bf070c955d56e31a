"""The fleet loader: stack config (snake_case) to FleetArgs, with shorthands and fleet defaults applied."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from package_data import SCHEMAS_SOURCE as SCHEMAS_DIR
from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.spec import (
    AttachmentKind,
    BlankSource,
    Cpu,
    DiskArgs,
    EvictionStrategy,
    HttpSource,
    InstancetypeKind,
    InstancetypeRef,
    Memory,
    Nic,
    PlainPvc,
    PreferenceKind,
    PreferenceRef,
    RegistrySource,
    RunStrategy,
    Tpm,
    VirtualMachineArgs,
    WaitFor,
)
from pulumi_kubevirt.spec.fleet import load_fleet


def one_vm(vm: dict[str, Any], **fleet: Any) -> VirtualMachineArgs:
    config = {"defaults": {"namespace": "web"}, "vms": {"web": vm}, **fleet}
    return load_fleet(config).vms[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"vcpus": 4}, Cpu(sockets=4)),
        ({"vcpus": 2, "max_sockets": 8}, Cpu(sockets=2, max_sockets=8)),
        ({"sockets": 1, "cores": 4, "threads": 2}, Cpu(sockets=1, cores=4, threads=2)),
        (
            {"vcpus": 2, "dedicated": True, "model": "host-passthrough"},
            Cpu(2, dedicated=True, model="host-passthrough"),
        ),
    ],
    ids=["vcpus", "vcpus-hotplug", "topology", "dedicated-model"],
)
def test_cpu_forms(raw: dict[str, Any], expected: Cpu) -> None:
    assert one_vm({"cpu": raw, "memory": "1Gi"}).cpu == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4Gi", Memory("4Gi")),
        (1073741824, Memory("1073741824")),
        ({"guest": "2Gi", "max_guest": "8Gi"}, Memory("2Gi", "8Gi")),
    ],
    ids=["string", "integer-bytes", "hotplug"],
)
def test_memory_forms(raw: Any, expected: Memory) -> None:
    assert one_vm({"memory": raw}).memory == expected


@pytest.mark.parametrize(
    ("raw", "instancetype", "preference"),
    [
        (
            {"instancetype": "u1.medium", "preference": "fedora"},
            InstancetypeRef("u1.medium"),
            PreferenceRef("fedora"),
        ),
        (
            {
                "instancetype": {"name": "small", "kind": "VirtualMachineInstancetype"},
                "preference": {"name": "mine", "kind": "VirtualMachinePreference"},
            },
            InstancetypeRef("small", InstancetypeKind.NAMESPACED),
            PreferenceRef("mine", PreferenceKind.NAMESPACED),
        ),
    ],
    ids=["cluster-shorthand", "namespaced"],
)
def test_instancetype_forms(
    raw: dict[str, Any], instancetype: InstancetypeRef, preference: PreferenceRef
) -> None:
    vm = one_vm(raw)
    assert (vm.instancetype, vm.preference) == (instancetype, preference)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ({"http": "https://img/x.qcow2"}, HttpSource("https://img/x.qcow2")),
        (
            {"http": {"url": "https://img/x.qcow2", "cert_config_map": "ca"}},
            HttpSource("https://img/x.qcow2", "ca"),
        ),
        (
            {"registry": "docker://quay.io/containerdisks/fedora:40"},
            RegistrySource("docker://quay.io/containerdisks/fedora:40"),
        ),
    ],
    ids=["http-shorthand", "http-object", "registry-shorthand"],
)
def test_image_shorthands(image: dict[str, Any], expected: object) -> None:
    vm = one_vm({"memory": "1Gi", "root_disk": {"image": image, "size": "10Gi"}})
    assert vm.root_disk is not None
    assert vm.root_disk.image == expected


def test_defaults_apply_to_members_that_set_nothing() -> None:
    fleet = load_fleet(
        {
            "defaults": {
                "namespace": "prod",
                "storage_class": "fast",
                "run_strategy": "Halted",
                "eviction_strategy": "LiveMigrate",
                "wait_for": "agent",
                "wait_timeout_seconds": 1200,
                "labels": {"team": "db"},
            },
            "disks": {"data": {"size": "1Gi", "source": {"blank": {}}}},
            "vms": {
                "a": {"memory": "1Gi", "root_disk": {"image": {"http": "https://i/x.img"}, "size": "5Gi"}},
                "b": {
                    "namespace": "other",
                    "memory": "1Gi",
                    "run_strategy": "Always",
                    "wait_for": "none",
                    "labels": {"team": "web"},
                },
            },
        }
    )
    a, b = fleet.vms
    assert (a.namespace, a.run_strategy, a.eviction_strategy, a.wait_for, a.wait_timeout_seconds) == (
        "prod",
        RunStrategy.HALTED,
        EvictionStrategy.LIVE_MIGRATE,
        WaitFor.AGENT,
        1200,
    )
    assert a.root_disk is not None
    assert a.root_disk.storage_class == "fast"
    assert dict(a.labels) == {"team": "db"}
    assert (b.namespace, b.run_strategy, b.wait_for, dict(b.labels)) == (
        "other",
        RunStrategy.ALWAYS,
        WaitFor.NONE,
        {"team": "web"},
    )
    assert fleet.disks[0] == DiskArgs(
        namespace="prod",
        name="data",
        size="1Gi",
        source=BlankSource(),
        storage_class="fast",
        labels={"team": "db"},
    )


def test_attachment_kind_follows_the_disk() -> None:
    fleet = load_fleet(
        {
            "defaults": {"namespace": "web"},
            "disks": {
                "cdi": {"size": "1Gi", "source": {"blank": {}}},
                "plain": {"size": "1Gi", "pvc_only": True},
                "plain2": {"size": "1Gi", "source": {"plain_pvc": {}}},
            },
            "vms": {
                "web": {"memory": "1Gi", "disks": ["cdi", "plain", {"disk": "plain2", "read_only": True}]}
            },
        }
    )
    assert [a.kind for a in fleet.vms[0].disks] == [
        AttachmentKind.DATAVOLUME,
        AttachmentKind.PVC,
        AttachmentKind.PVC,
    ]
    assert fleet.disks[2].source == PlainPvc()


def test_default_nic_unless_nics_given() -> None:
    assert one_vm({"memory": "1Gi"}).nics == (Nic("default"),)
    assert one_vm({"memory": "1Gi", "nics": []}).nics == ()


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, Tpm()), ({"persistent": True}, Tpm(True)), (False, None)]
)
def test_tpm_forms(raw: Any, expected: Tpm | None) -> None:
    assert one_vm({"memory": "1Gi", "tpm": raw}).tpm == expected


def test_members_are_sorted_by_name() -> None:
    fleet = load_fleet(
        {"defaults": {"namespace": "w"}, "vms": {"b": {"memory": "1Gi"}, "a": {"memory": "1Gi"}}}
    )
    assert [vm.name for vm in fleet.vms] == ["a", "b"]


def test_not_a_mapping() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(["web"])  # type: ignore[arg-type]
    assert raised.value.problems[0].path == "fleet"


def test_schema_and_semantic_problems_come_together() -> None:
    """One run shows every mistake: a typo'd key and a bad size (schema) beside a dangling reference."""
    with pytest.raises(ValidationError) as raised:
        load_fleet(
            {
                "defaults": {"namespace": "web"},
                "disks": {"db-data": {"size": "50 GB", "source": {"blank": {}}}},
                "vms": {
                    "web": {
                        "cpu": {"vcpus": 2, "max_sockets": 1},
                        "memory": "4Gi",
                        "run_stratgy": "Always",
                        "disks": ["db-data", "nope"],
                    }
                },
            }
        )
    assert [problem.path for problem in raised.value.problems] == [
        "fleet.disks.db-data.size",
        "fleet.vms.web.cpu.max_sockets",
        "fleet.vms.web.disks[1]",  # written as a bare name: the problem sits where the name is
        "fleet.vms.web.run_stratgy",
    ]


def test_a_value_of_the_wrong_type_is_one_problem() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet({"defaults": {"namespace": "web"}, "vms": {"web": {"cpu": "two", "memory": "4Gi"}}})
    assert [problem.line() for problem in raised.value.problems] == [
        "fleet.vms.web.cpu: 'two' is not of type object. Write a value of type object here."
    ]


def test_secret_config_values_never_reach_the_error() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(
            {
                "defaults": {"namespace": "web"},
                "vms": {
                    "web": {
                        "memory": "1Gi",
                        "cloud_init": {"user_data": "password: hunter2", "kind": "nocloudd"},
                    }
                },
            }
        )
    assert "hunter2" not in str(raised.value)
    assert "fleet.vms.web.cloud_init.kind" in str(raised.value)


def test_per_resource_schemas_are_referenced_by_the_fleet_schema() -> None:
    fleet = json.loads((SCHEMAS_DIR / "fleet.schema.json").read_text())
    refs = {
        name: fleet["properties"][name]["additionalProperties"]["$ref"]
        for name in ("vms", "disks", "networks")
    }
    assert refs == {
        "vms": "virtualmachine.schema.json",
        "disks": "disk.schema.json",
        "networks": "network.schema.json",
    }
    for name in refs.values():
        assert json.loads((SCHEMAS_DIR / name).read_text())["$schema"].endswith("2020-12/schema")


def test_a_mistyped_secret_is_not_echoed() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(
            {
                "defaults": {"namespace": "w"},
                "vms": {"web": {"memory": "1Gi", "cloud_init": {"user_data": 987654}}},
            }
        )
    assert "987654" not in str(raised.value)
    assert "fleet.vms.web.cloud_init.user_data: this value is not of type string" in str(raised.value)


VALID = {
    "defaults": {"namespace": "web", "storage_class": "fast"},
    "namespaces": ["web"],
    "networks": {
        "vlan": {
            "type": "bridge",
            "bridge": "br1",
            "vlan": 10,
            "ipam": {"type": "static", "addresses": ["10.0.0.5/24"]},
        }
    },
    "disks": {
        "data": {"size": "10Gi", "source": {"blank": {}}},
        "img": {"size": "1Gi", "source": {"http": "https://i/x.img"}},
    },
    "vms": {
        "web": {
            "cpu": {"vcpus": 2, "max_sockets": 4},
            "memory": {"guest": "2Gi", "max_guest": "4Gi"},
            "root_disk": {"image": {"registry": "docker://quay.io/x/y:1"}, "size": "10Gi"},
            "disks": ["data", {"disk": "img", "read_only": True, "boot_order": 2}],
            "cdroms": [{"name": "cd", "bus": "sata"}],
            "nics": [
                {"name": "default", "ports": [{"port": 80}]},
                {"name": "v", "network": "vlan", "binding": "bridge"},
            ],
            "cloud_init": {"user_data": "#cloud-config\n"},
            "ssh_keys": {"keys": ["ssh-ed25519 AAAA x"]},
            "service": {"type": "NodePort", "ports": [{"name": "http", "port": 80, "node_port": 30080}]},
            "tolerations": [{"key": "a", "operator": "Exists"}],
        }
    },
}

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        ["", "0", "10 GB", "Always", "bridge", "sriov", "pvc", "uefi", "web", "data", "vlan", "default"]
    ),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


# Values that often pass the schema, so the semantic checks and the builders run on odd input too.
PLAUSIBLE_WORDS = [
    "web",
    "data",
    "img",
    "vlan",
    "default",
    "root",
    "cloudinit",
    "1Gi",
    "0",
    "512Mi",
    "Halted",
    "Manual",
    "uefi",
    "bridge",
    "sriov",
    "masquerade",
    "pvc",
    "datavolume",
    "NodePort",
    "ClusterIP",
    "none",
    "agent",
    "whereabouts",
]
plausible = st.one_of(st.integers(min_value=0, max_value=70000), st.sampled_from(PLAUSIBLE_WORDS))
edit_values = st.one_of(plausible, plausible, json_values)


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [prefix] + [p for k, v in value.items() for p in leaf_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [prefix] + [p for i, v in enumerate(value) for p in leaf_paths(v, (*prefix, i))]
    return [prefix]


PATHS = [p for p in leaf_paths(VALID) if p]


def replaced(config: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(config))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copy


def problems_of(config: Any) -> tuple[Problem, ...] | None:
    """None when the config loads; its problems when it does not; any other exception escapes (a bug)."""
    try:
        load_fleet(config)
    except ValidationError as error:
        return error.problems
    return None


def test_the_fuzz_base_config_is_valid() -> None:
    assert load_fleet(VALID).vms[0].name == "web"


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), edit_values), min_size=1, max_size=3))
@example(edits=[(("vms", "web", "memory"), 0.0)])  # once a traceback: memory of a wrong type
def test_any_mistake_gives_problems_never_a_traceback(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    config: Any = VALID
    for path, value in edits:
        try:
            config = replaced(config, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this path
    problems = problems_of(config)
    if problems is not None:
        assert problems
        assert all(p.path.startswith("fleet") and p.message and p.fix for p in problems)


# --- Problems at the place the user wrote ----------------------------------------------------------


def test_a_bad_default_is_one_problem_at_defaults_not_one_per_member() -> None:
    members = {f"vm{i}": {"memory": "1Gi"} for i in range(3)}
    with pytest.raises(ValidationError) as raised:
        load_fleet(
            {
                "defaults": {"namespace": "web", "storage_class": "Fast_SC", "labels": {"team": "a b"}},
                "disks": {f"d{i}": {"size": "1Gi", "source": {"blank": {}}} for i in range(3)},
                "vms": {
                    name: {**raw, "root_disk": {"image": {"http": "https://i/x"}, "size": "5Gi"}}
                    for name, raw in members.items()
                },
            }
        )
    assert [p.path for p in raised.value.problems] == [
        "fleet.defaults.labels.team",
        "fleet.defaults.storage_class",
    ]


def test_a_member_that_sets_its_own_value_is_reported_at_the_member() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(
            {
                "defaults": {"namespace": "web", "labels": {"team": "ok"}},
                "vms": {"a": {"memory": "1Gi", "namespace": "Bad_NS", "labels": {"team": "not ok"}}},
            }
        )
    assert {p.path for p in raised.value.problems} == {"fleet.vms.a.namespace", "fleet.vms.a.labels.team"}


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        pytest.param(
            {"disks": {"d": {"size": "1Gi", "source": {"http": "ftp://x"}}}},
            "fleet.disks.d.source.http",
            id="disk-http-short",
        ),
        pytest.param(
            {"disks": {"d": {"size": "1Gi", "source": {"http": {"url": "ftp://x"}}}}},
            "fleet.disks.d.source.http.url",
            id="disk-http-long",
        ),
        pytest.param(
            {
                "vms": {
                    "v": {"memory": "1Gi", "root_disk": {"image": {"registry": "quay.io/x"}, "size": "5Gi"}}
                }
            },
            "fleet.vms.v.root_disk.image.registry",
            id="root-registry-short",
        ),
        pytest.param(
            {"disks": {"d": {"size": "1Gi", "source": {"pvc": {"namespace": "Bad", "name": "x"}}}}},
            "fleet.disks.d.source.pvc.namespace",
            id="disk-pvc-clone",
        ),
        pytest.param(
            {"vms": {"v": {"cpu": {"vcpus": 4, "dedicated": True, "max_sockets": 2}, "memory": "1Gi"}}},
            "fleet.vms.v.cpu.max_sockets",
            id="cpu-vcpus-ceiling",
        ),
        pytest.param(
            {"vms": {"v": {"memory": "1Gi", "instancetype": "u1.small"}}},
            "fleet.vms.v.memory",
            id="memory-short-form",
        ),
        pytest.param(
            {"vms": {"v": {"instancetype": "Bad_Name"}}},
            "fleet.vms.v.instancetype",
            id="instancetype-short-form",
        ),
        pytest.param(
            {"vms": {"v": {"memory": "1Gi", "disks": ["Bad_Disk"]}}},
            "fleet.vms.v.disks[0]",
            id="attachment-short-form",
        ),
    ],
)
def test_short_forms_are_reported_under_the_key_the_user_wrote(raw: dict[str, Any], written: str) -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet({"defaults": {"namespace": "web"}, **raw})
    assert written in [p.path for p in raised.value.problems], raised.value


def test_memory_short_form_problem_is_at_memory() -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet({"defaults": {"namespace": "web"}, "vms": {"v": {"memory": "0"}}})
    assert [p.line() for p in raised.value.problems] == [
        'fleet.vms.v.memory: "0" must be greater than zero. Write a positive size such as 10Gi.'
    ]
