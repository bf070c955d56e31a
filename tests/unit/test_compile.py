"""The compiler: what each spec choice becomes in KubeVirt/CDI/Multus terms, golden manifests, determinism."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_kubevirt.compile import (
    ALLOW_DATA_LOSS_ANNOTATION,
    compile_disk,
    compile_fleet,
    compile_network,
    compile_vm,
)
from pulumi_kubevirt.compile.emit import REDACTED, canonical_dumper, dump_yaml, redact_secrets, sort_manifests
from pulumi_kubevirt.core.labels import COMPONENT_KEY, COMPONENT_KIND_KEY, stack_labels
from pulumi_kubevirt.spec import (
    BlankSource,
    CloudInit,
    CloudInitKind,
    Cpu,
    DiskArgs,
    Firmware,
    FirmwareKind,
    HttpSource,
    InstancetypeRef,
    Ipam,
    IpamType,
    Memory,
    NetworkArgs,
    NetworkType,
    PlainPvc,
    RootDisk,
    RunStrategy,
    ServiceExposure,
    ServicePort,
    SshKeys,
    SshPropagation,
    StackContext,
    VirtualMachineArgs,
    WaitFor,
)
from pulumi_kubevirt.spec.fleet import load_fleet

CTX = StackContext(project="shop", stack="prod")
GOLDEN = Path(__file__).parent.parent / "golden" / "compile"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "fleet.yaml").is_file())
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3example user@host"


def vm(**changes: Any) -> VirtualMachineArgs:
    base = VirtualMachineArgs(namespace="web", name="web", cpu=Cpu.vcpus(2), memory=Memory("4Gi"))
    return dataclasses.replace(base, **changes)


def only(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def template_spec(args: VirtualMachineArgs) -> dict[str, Any]:
    spec: dict[str, Any] = only(compile_vm(args, CTX), "VirtualMachine")["spec"]["template"]["spec"]
    return spec


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# --- What each choice compiles to ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, 1), (4, 4), (16, 16)],
    ids=["1-vcpu", "4-vcpu", "16-vcpu"],
)
def test_vcpus_become_single_core_sockets(count: int, expected: int) -> None:
    cpu = template_spec(vm(cpu=Cpu.vcpus(count, max_sockets=32)))["domain"]["cpu"]
    assert cpu == {"sockets": expected, "cores": 1, "threads": 1, "maxSockets": 32}


def test_secure_boot_turns_on_smm_and_efi_secure_boot() -> None:
    domain = template_spec(vm(firmware=Firmware(FirmwareKind.UEFI, secure_boot=True)))["domain"]
    assert domain["features"] == {"smm": {"enabled": True}}
    assert domain["firmware"] == {"bootloader": {"efi": {"secureBoot": True}}}


def test_uefi_without_secure_boot_says_so_explicitly() -> None:
    domain = template_spec(vm(firmware=Firmware(FirmwareKind.UEFI, persistent_efi=True)))["domain"]
    assert domain["firmware"] == {"bootloader": {"efi": {"secureBoot": False, "persistent": True}}}
    assert "features" not in domain


def test_bios_leaves_firmware_to_kubevirt_and_preferences() -> None:
    assert "firmware" not in template_spec(vm())["domain"]


def test_cloud_init_is_never_inline() -> None:
    user_data = "#cloud-config\npassword: s3cret-value\n"
    manifests = compile_vm(vm(cloud_init=CloudInit(user_data=user_data, network_data="version: 2\n")), CTX)
    machine = only(manifests, "VirtualMachine")
    assert "s3cret-value" not in json.dumps(machine)
    volume = next(v for v in machine["spec"]["template"]["spec"]["volumes"] if v["name"] == "cloudinit")
    assert volume == {
        "name": "cloudinit",
        "cloudInitNoCloud": {
            "secretRef": {"name": "web-cloudinit"},
            "networkDataSecretRef": {"name": "web-cloudinit"},
        },
    }
    secret = only(manifests, "Secret")
    assert secret["metadata"]["name"] == "web-cloudinit"
    assert secret["stringData"] == {"userdata": user_data, "networkdata": "version: 2\n"}


def test_config_drive_uses_its_own_volume_and_propagation() -> None:
    args = vm(
        cloud_init=CloudInit("#cloud-config", kind=CloudInitKind.CONFIGDRIVE), ssh_keys=SshKeys(keys=(KEY,))
    )
    spec = template_spec(args)
    volume = next(v for v in spec["volumes"] if v["name"] == "cloudinit")
    assert volume == {"name": "cloudinit", "cloudInitConfigDrive": {"secretRef": {"name": "web-cloudinit"}}}
    assert spec["accessCredentials"][0]["sshPublicKey"]["propagationMethod"] == {"configDrive": {}}


def test_opaque_secret_values_pass_through_untouched() -> None:
    class Opaque:
        """Stands in for a Pulumi secret Output."""

    marker = Opaque()
    secret = only(compile_vm(vm(cloud_init=CloudInit(user_data=marker)), CTX), "Secret")
    assert secret["stringData"]["userdata"] is marker


def test_ssh_keys_go_into_a_secret_referenced_by_access_credentials() -> None:
    manifests = compile_vm(vm(cloud_init=CloudInit("#cloud-config"), ssh_keys=SshKeys(keys=(KEY,))), CTX)
    keys = next(m for m in manifests if m["metadata"]["name"] == "web-ssh-keys")
    assert keys["stringData"] == {"key1": KEY}
    credentials = only(manifests, "VirtualMachine")["spec"]["template"]["spec"]["accessCredentials"]
    assert credentials == [
        {
            "sshPublicKey": {
                "source": {"secret": {"secretName": "web-ssh-keys"}},
                "propagationMethod": {"noCloud": {}},
            }
        }
    ]


def test_guest_agent_keys_from_an_existing_secret_make_no_secret() -> None:
    ssh = SshKeys(secret_name="team-keys", propagation=SshPropagation.GUEST_AGENT, users=("root", "admin"))
    manifests = compile_vm(vm(ssh_keys=ssh), CTX)
    assert [m["kind"] for m in manifests] == ["VirtualMachine"]
    method = manifests[0]["spec"]["template"]["spec"]["accessCredentials"][0]["sshPublicKey"][
        "propagationMethod"
    ]
    assert method == {"qemuGuestAgent": {"users": ["admin", "root"]}}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {"pulumi.com/skipAwait": "true"}),
        ({"wait_for": WaitFor.AGENT, "wait_timeout_seconds": 900}, {"pulumi.com/skipAwait": "true"}),
        ({"wait_for": WaitFor.NONE}, {"pulumi.com/skipAwait": "true"}),
        ({"run_strategy": RunStrategy.HALTED}, {"pulumi.com/skipAwait": "true"}),
        ({"run_strategy": RunStrategy.MANUAL}, {"pulumi.com/skipAwait": "true"}),
    ],
    ids=["running", "agent", "none", "halted-never-waits", "manual-never-waits"],
)
def test_readiness_annotations(changes: dict[str, Any], expected: dict[str, str]) -> None:
    """pulumi-kubernetes never waits for a VM: GuestReadiness does (components.guest_readiness)."""
    annotations = only(compile_vm(vm(**changes), CTX), "VirtualMachine")["metadata"]["annotations"]
    assert {k: v for k, v in annotations.items() if k.startswith("pulumi.com/")} == expected


def test_run_strategy_is_always_set_and_running_never() -> None:
    spec = only(compile_vm(vm(run_strategy=RunStrategy.HALTED), CTX), "VirtualMachine")["spec"]
    assert spec["runStrategy"] == "Halted"
    assert "running" not in spec


def test_root_disk_is_a_standalone_data_volume_never_a_template() -> None:
    manifests = compile_vm(vm(root_disk=RootDisk(image=HttpSource("https://img/f.qcow2"), size="20Gi")), CTX)
    machine = only(manifests, "VirtualMachine")
    assert "dataVolumeTemplates" not in machine["spec"]
    volume = machine["spec"]["template"]["spec"]["volumes"][0]
    assert volume == {"name": "root", "dataVolume": {"name": "web-root"}}
    data_volume = only(manifests, "DataVolume")
    assert data_volume["metadata"]["name"] == "web-root"
    assert data_volume["spec"] == {
        "source": {"http": {"url": "https://img/f.qcow2"}},
        "storage": {"resources": {"requests": {"storage": "20Gi"}}},
    }
    assert data_volume["metadata"]["labels"][COMPONENT_KEY] == "web"
    assert data_volume["metadata"]["labels"][COMPONENT_KIND_KEY] == "vm"


def test_no_nics_means_no_pod_network() -> None:
    spec = template_spec(vm(nics=()))
    assert spec["domain"]["devices"]["autoattachPodInterface"] is False
    assert "networks" not in spec


def test_default_nic_is_masquerade_on_the_pod_network() -> None:
    spec = template_spec(vm())
    assert spec["domain"]["devices"]["interfaces"] == [{"name": "default", "masquerade": {}}]
    assert spec["networks"] == [{"name": "default", "pod": {}}]


def test_instancetype_leaves_cpu_and_memory_out() -> None:
    machine = only(
        compile_vm(vm(instancetype=InstancetypeRef("u1.medium"), cpu=None, memory=None), CTX),
        "VirtualMachine",
    )
    assert machine["spec"]["instancetype"] == {
        "kind": "VirtualMachineClusterInstancetype",
        "name": "u1.medium",
    }
    assert "cpu" not in machine["spec"]["template"]["spec"]["domain"]
    assert "memory" not in machine["spec"]["template"]["spec"]["domain"]


def test_service_selects_the_template_label() -> None:
    manifests = compile_vm(
        vm(service=ServiceExposure(ports=(ServicePort("http", 80, target_port=8080),))), CTX
    )
    machine, service = only(manifests, "VirtualMachine"), only(manifests, "Service")
    assert machine["spec"]["template"]["metadata"]["labels"] == {"pulumi-kubevirt/vm": "web"}
    assert service["spec"]["selector"] == {"pulumi-kubevirt/vm": "web"}
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            NetworkArgs(namespace="n", name="vlan100", bridge="br1", vlan=100, ipam=Ipam(IpamType.DHCP)),
            '{"bridge":"br1","cniVersion":"0.3.1","ipam":{"type":"dhcp"},"name":"vlan100","type":"bridge","vlan":100}',
        ),
        (
            NetworkArgs(namespace="n", name="plain", bridge="br0"),
            '{"bridge":"br0","cniVersion":"0.3.1","ipam":{},"name":"plain","type":"bridge"}',
        ),
        (
            NetworkArgs(
                namespace="n",
                name="fast",
                type=NetworkType.SRIOV,
                sriov_resource_name="intel.com/vf",
                mac_spoof_check=True,
            ),
            '{"cniVersion":"0.3.1","ipam":{},"name":"fast","spoofchk":"on","type":"sriov"}',
        ),
        (
            NetworkArgs(
                namespace="n",
                name="phys",
                type=NetworkType.OVN_LOCALNET,
                ovn_physical_network="physnet1",
                ipam=Ipam(IpamType.WHEREABOUTS, range="10.0.0.0/24", exclude=("10.0.0.1/32", "10.0.0.2/32")),
            ),
            '{"cniVersion":"0.3.1","excludeSubnets":"10.0.0.1/32,10.0.0.2/32","name":"physnet1",'
            '"netAttachDefName":"n/phys","subnets":"10.0.0.0/24","topology":"localnet","type":"ovn-k8s-cni-overlay"}',
        ),
    ],
    ids=["bridge-vlan-dhcp", "bridge-no-ipam", "sriov", "ovn-localnet"],
)
def test_nad_config_is_canonical_json(args: NetworkArgs, expected: str) -> None:
    config = only(compile_network(args, CTX), "NetworkAttachmentDefinition")["spec"]["config"]
    assert config == expected
    assert json.dumps(json.loads(config), sort_keys=True, separators=(",", ":")) == config


def test_sriov_network_carries_the_resource_annotation() -> None:
    args = NetworkArgs(namespace="n", name="fast", type=NetworkType.SRIOV, sriov_resource_name="intel.com/vf")
    nad = only(compile_network(args, CTX), "NetworkAttachmentDefinition")
    assert nad["metadata"]["annotations"] == {"k8s.v1.cni.cncf.io/resourceName": "intel.com/vf"}


@pytest.mark.parametrize(
    ("args", "kind", "spec"),
    [
        (
            DiskArgs(namespace="d", name="scratch", size="5Gi", pvc_only=True),
            "PersistentVolumeClaim",
            {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
        ),
        (
            DiskArgs(namespace="d", name="scratch", size="5Gi", source=PlainPvc(), storage_class="local"),
            "PersistentVolumeClaim",
            {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "5Gi"}},
                "storageClassName": "local",
            },
        ),
        (
            DiskArgs(namespace="d", name="blank", size="5Gi", source=BlankSource(), preallocation=True),
            "DataVolume",
            {
                "source": {"blank": {}},
                "storage": {"resources": {"requests": {"storage": "5Gi"}}},
                "preallocation": True,
            },
        ),
    ],
    ids=["pvc-only", "plain-pvc-source", "blank-data-volume"],
)
def test_disk_kinds(args: DiskArgs, kind: str, spec: dict[str, Any]) -> None:
    manifest = only(compile_disk(args, CTX), kind)
    assert manifest["spec"] == spec


def test_allow_data_loss_is_visible_to_the_plan_engine() -> None:
    args = DiskArgs(namespace="d", name="db", size="5Gi", source=BlankSource(), allow_data_loss=True)
    manifest = only(compile_disk(args, CTX), "DataVolume")
    assert manifest["metadata"]["annotations"][ALLOW_DATA_LOSS_ANNOTATION] == "true"
    plain = only(compile_disk(dataclasses.replace(args, allow_data_loss=False), CTX), "DataVolume")
    assert ALLOW_DATA_LOSS_ANNOTATION not in plain["metadata"]["annotations"]


def test_data_volumes_opt_out_of_cdi_garbage_collection() -> None:
    args = DiskArgs(namespace="d", name="db", size="5Gi", source=BlankSource())
    root = RootDisk(image=HttpSource("https://img/f.qcow2"), size="20Gi")
    volumes = [
        only(compile_disk(args, CTX), "DataVolume"),
        only(compile_vm(vm(root_disk=root), CTX), "DataVolume"),
    ]
    for volume in volumes:
        assert volume["metadata"]["annotations"]["cdi.kubevirt.io/storage.deleteAfterCompletion"] == "false"
    plain = only(compile_disk(dataclasses.replace(args, source=PlainPvc()), CTX), "PersistentVolumeClaim")
    assert "annotations" not in plain["metadata"]


# --- Golden manifests of representative fleets --------------------------------------------------------------


def compiled_case(case: str) -> list[dict[str, Any]]:
    config = yaml.safe_load((GOLDEN / case / "fleet.yaml").read_text(encoding="utf-8"))
    return compile_fleet(load_fleet(config), CTX)


@pytest.mark.parametrize("case", CASES)
def test_golden_manifests(case: str, update_golden: bool) -> None:
    rendered = dump_yaml(redact_secrets(compiled_case(case)))
    golden = GOLDEN / case / "manifests.yaml"
    if update_golden:
        golden.write_text(rendered, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}; run pytest --update-golden"
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_every_object_is_labelled_and_null_free(case: str) -> None:
    for manifest in compiled_case(case):
        labels = manifest["metadata"]["labels"]
        assert stack_labels(CTX.project, CTX.stack).items() <= labels.items()
        assert labels[COMPONENT_KEY]
        assert labels[COMPONENT_KIND_KEY] in {"vm", "disk", "network", "namespace"}
        assert all(value is not None for value in walk(manifest))


def test_golden_cases_cover_every_kind() -> None:
    kinds = {m["kind"] for case in CASES for m in compiled_case(case)}
    assert kinds == {
        "Namespace",
        "NetworkAttachmentDefinition",
        "Secret",
        "PersistentVolumeClaim",
        "DataVolume",
        "VirtualMachine",
        "Service",
    }


# --- Determinism and the manifest helpers -------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_compiling_twice_is_byte_identical(case: str) -> None:
    assert dump_yaml(redact_secrets(compiled_case(case))) == dump_yaml(redact_secrets(compiled_case(case)))


label_keys = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
label_values = st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.dictionaries(label_keys, label_values, max_size=6),
    node_selector=st.dictionaries(label_keys, label_values, max_size=4),
    sockets=st.integers(min_value=1, max_value=64),
)
def test_insertion_order_never_changes_the_output(
    labels: dict[str, str], node_selector: dict[str, str], sockets: int
) -> None:
    forward = vm(labels=labels, node_selector=node_selector, cpu=Cpu.vcpus(sockets))
    backward = vm(
        labels=dict(reversed(list(labels.items()))),
        node_selector=dict(reversed(list(node_selector.items()))),
        cpu=Cpu.vcpus(sockets),
    )
    assert dump_yaml(compile_vm(forward, CTX)) == dump_yaml(compile_vm(backward, CTX))


def test_sort_manifests_uses_kind_rank_then_namespace_then_name() -> None:
    def obj(kind: str, namespace: str, name: str) -> dict[str, Any]:
        return {"kind": kind, "metadata": {"namespace": namespace, "name": name}}

    shuffled = [
        obj("Service", "a", "web"),
        obj("VirtualMachine", "b", "web"),
        obj("VirtualMachine", "a", "web"),
        obj("Secret", "a", "z"),
        obj("DataVolume", "a", "web-root"),
        obj("Namespace", "", "a"),
        obj("Secret", "a", "b"),
        obj("NetworkAttachmentDefinition", "a", "n"),
        obj("PersistentVolumeClaim", "a", "p"),
    ]
    order = [(m["kind"], m["metadata"]["namespace"], m["metadata"]["name"]) for m in sort_manifests(shuffled)]
    assert order == [
        ("Namespace", "", "a"),
        ("NetworkAttachmentDefinition", "a", "n"),
        ("Secret", "a", "b"),
        ("Secret", "a", "z"),
        ("PersistentVolumeClaim", "a", "p"),
        ("DataVolume", "a", "web-root"),
        ("VirtualMachine", "a", "web"),
        ("VirtualMachine", "b", "web"),
        ("Service", "a", "web"),
    ]


def test_redact_secrets_hides_values_and_keeps_keys() -> None:
    manifests = compile_vm(vm(cloud_init=CloudInit(user_data="#cloud-config\npassword: hunter2\n")), CTX)
    manifests.append(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {"token": "aHVudGVyMg=="}}
    )
    redacted = redact_secrets(manifests)
    text = dump_yaml(redacted)
    assert "hunter2" not in text
    assert "aHVudGVyMg==" not in text
    secrets = [m for m in redacted if m["kind"] == "Secret"]
    assert [s.get("stringData", s.get("data")) for s in secrets] == [
        {"userdata": REDACTED},
        {"token": REDACTED},
    ]
    assert "hunter2" in only(manifests[:-1], "Secret")["stringData"]["userdata"], (
        "the input must stay as it was"
    )


def test_dump_yaml_is_multi_document_with_sorted_keys() -> None:
    text = dump_yaml([{"kind": "B", "apiVersion": "v1"}, {"metadata": {"name": "a"}, "kind": "A"}])
    assert text == "---\napiVersion: v1\nkind: B\n---\nkind: A\nmetadata:\n  name: a\n"


def test_passed_through_placement_is_copied_without_nulls() -> None:
    from types import MappingProxyType

    affinity = MappingProxyType(
        {"nodeAffinity": {"preferred": None, "required": ({"key": "zone", "values": ("a",)},)}}
    )
    spec = template_spec(
        vm(affinity=affinity, tolerations=({"key": "gpu", "operator": "Exists", "value": None},))
    )
    assert spec["affinity"] == {"nodeAffinity": {"required": [{"key": "zone", "values": ["a"]}]}}
    assert spec["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


@pytest.mark.parametrize("case", CASES)
def test_libyaml_and_pure_python_emitters_write_the_same_bytes(case: str) -> None:
    manifests = redact_secrets(compiled_case(case))
    assert dump_yaml(manifests) == dump_yaml(manifests, canonical_dumper(yaml.SafeDumper))
