"""The rule table on Kubernetes objects: compiled manifests keep every rule, and a raw change that breaks one
(as a raw patch could) is caught with the rule id and the place in the object."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_kubevirt.compile import compile_fleet, compile_vm
from pulumi_kubevirt.spec import StackContext
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.validate import RULES
from pulumi_kubevirt.spec.validate.objects import object_problems, rule_ids

CTX = StackContext(project="shop", stack="prod")
GOLDEN = Path(__file__).parent.parent / "golden" / "compile"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "fleet.yaml").is_file())


def _compiled() -> list[dict[str, Any]]:
    return [
        m
        for case in CASES
        for m in compile_fleet(load_fleet(yaml.safe_load((GOLDEN / case / "fleet.yaml").read_text())), CTX)
    ]


ALL = _compiled()


def first(kind: str, where: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
    return copy.deepcopy(next(m for m in ALL if m["kind"] == kind and where(m)))


def template(m: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = m["spec"]["template"]["spec"]
    return spec


def has_cpu(m: dict[str, Any]) -> bool:
    return "cpu" in template(m)["domain"]


def has_disks(m: dict[str, Any]) -> bool:
    return bool(template(m)["domain"]["devices"].get("disks"))


def pod_nic(m: dict[str, Any]) -> bool:
    return any("pod" in n for n in template(m).get("networks") or [])


def bridge_nad(m: dict[str, Any]) -> bool:
    return json.loads(m["spec"]["config"]).get("type") == "bridge"


def nad_config(m: dict[str, Any], **changes: Any) -> None:
    config = json.loads(m["spec"]["config"])
    config.update(changes)
    m["spec"]["config"] = json.dumps(config)


def set_in(obj: dict[str, Any], *keys: str, value: Any) -> None:
    for key in keys[:-1]:
        obj = obj.setdefault(key, {})
    obj[keys[-1]] = value


# rule id, the object, the change, a fragment of the problem's path
BROKEN: list[tuple[str, Callable[[], dict[str, Any]], Callable[[dict[str, Any]], None], str]] = [
    (
        "kv-cpu-max-sockets",
        lambda: first("VirtualMachine", has_cpu),
        lambda m: template(m)["domain"]["cpu"].update(sockets=8, maxSockets=4),
        "domain.cpu.sockets",
    ),
    (
        "kv-dedicated-cpu-threads",
        lambda: first("VirtualMachine", has_cpu),
        lambda m: template(m)["domain"]["cpu"].update(threads=4, dedicatedCpuPlacement=True),
        "domain.cpu.threads",
    ),
    (
        "kv-memory-request-min",
        lambda: first("VirtualMachine"),
        lambda m: set_in(template(m)["domain"], "resources", "requests", "memory", value="100k"),
        "resources.requests.memory",
    ),
    (
        "kv-sata-read-only",
        lambda: first("VirtualMachine", has_disks),
        lambda m: template(m)["domain"]["devices"]["disks"][0].update(disk={"bus": "sata", "readonly": True}),
        "disks[0].disk.readonly",
    ),
    (
        "kv-cdrom-bus",
        lambda: first("VirtualMachine", has_disks),
        lambda m: template(m)["domain"]["devices"]["disks"].append(
            {"name": "cd", "cdrom": {"bus": "virtio"}}
        ),
        ".cdrom.bus",
    ),
    (
        "kv-boot-order",
        lambda: first("VirtualMachine", has_disks),
        lambda m: template(m)["domain"]["devices"]["disks"].append({"name": "extra", "bootOrder": 0}),
        "bootOrder",
    ),
    (
        "kv-disk-name-unique",
        lambda: first("VirtualMachine", has_disks),
        lambda m: template(m)["domain"]["devices"]["disks"].append(
            copy.deepcopy(template(m)["domain"]["devices"]["disks"][0])
        ),
        ".name",
    ),
    (
        "kv-masquerade-reserved-mac",
        lambda: first("VirtualMachine", pod_nic),
        lambda m: next(i for i in template(m)["domain"]["devices"]["interfaces"] if "masquerade" in i).update(
            macAddress="02:00:00:00:00:00"
        ),
        "macAddress",
    ),
    (
        "kv-forward-port",
        lambda: first("VirtualMachine", pod_nic),
        lambda m: next(i for i in template(m)["domain"]["devices"]["interfaces"] if "masquerade" in i).update(
            ports=[{"port": 22, "protocol": "SCTP"}]
        ),
        "ports[0].protocol",
    ),
    (
        "kv-hostname-dns-label",
        lambda: first("VirtualMachine"),
        lambda m: template(m).update(hostname="Web_1"),
        "hostname",
    ),
    (
        "k8s-label-value",
        lambda: first("VirtualMachine"),
        lambda m: m["metadata"]["labels"].update(team="x" * 64),
        "metadata.labels.team",
    ),
    (
        "cdi-size-min",
        lambda: first("DataVolume"),
        lambda m: m["spec"]["storage"].update(resources={"requests": {"storage": "100Ki"}}),
        "spec.storage",
    ),
    (
        "cdi-http-url",
        lambda: first("DataVolume"),
        lambda m: m["spec"].update(source={"http": {"url": "ftp://mirror/disk.img"}}),
        "spec.source.http.url",
    ),
    (
        "cdi-registry-url",
        lambda: first("DataVolume"),
        lambda m: m["spec"].update(source={"registry": {"url": "quay.io/x:1"}}),
        "spec.source.registry.url",
    ),
    (
        "k8s-pvc-access-modes",
        lambda: first("DataVolume"),
        lambda m: m["spec"]["storage"].update(accessModes=["ReadWriteOncePod", "ReadWriteMany"]),
        "accessModes",
    ),
    (
        "k8s-service-port-unique",
        lambda: first("Service"),
        lambda m: m["spec"]["ports"].append({**m["spec"]["ports"][0], "name": "again"}),
        "].port",
    ),
    (
        "k8s-node-port-type",
        lambda: first("Service"),
        lambda m: m["spec"].update(type="ClusterIP") or m["spec"]["ports"][0].update(nodePort=30123),
        "nodePort",
    ),
    (
        "cni-vlan-range",
        lambda: first("NetworkAttachmentDefinition", bridge_nad),
        lambda m: nad_config(m, vlan=5000),
        "spec.config",
    ),
    (
        "cni-interface-name",
        lambda: first("NetworkAttachmentDefinition", bridge_nad),
        lambda m: nad_config(m, bridge="a-bridge-name-too-long"),
        "spec.config",
    ),
]


@pytest.mark.parametrize("manifest", ALL, ids=[f"{m['kind']}/{m['metadata']['name']}" for m in ALL])
def test_compiled_objects_keep_every_rule(manifest: dict[str, Any]) -> None:
    assert [p.line() for p in object_problems(manifest)] == []


@pytest.mark.parametrize(("rule_id", "make", "change", "where"), BROKEN, ids=[f"{row[0]}" for row in BROKEN])
def test_a_broken_object_is_caught_with_its_rule(
    rule_id: str, make: Callable[[], dict[str, Any]], change: Callable[[dict[str, Any]], None], where: str
) -> None:
    manifest = make()
    assert object_problems(manifest) == []
    change(manifest)
    problems = object_problems(manifest)
    assert rule_id in rule_ids(problems), [p.line() for p in problems]
    assert any(where in p.path for p in problems if p.message.startswith(f"[{rule_id}]"))


def test_object_rules_name_only_rules_of_the_table() -> None:
    assert {row[0] for row in BROKEN} <= {rule.id for rule in RULES}


# --- The escape hatch: a raw patch is checked against the rule table too -------------------------------


def _patched_vm(patch: dict[str, Any]) -> list[str]:
    from pulumi_kubevirt.core.errors import ValidationError
    from pulumi_kubevirt.spec import Cpu, Memory, VirtualMachineArgs

    cpu = Cpu(1, cores=1, threads=3)  # valid without dedicated CPUs; the patch turns them on
    args = VirtualMachineArgs(namespace="web", name="web", cpu=cpu, memory=Memory("4Gi"), patch=patch)
    try:
        compile_vm(args, CTX)
    except ValidationError as error:
        return [p.line() for p in error.problems]
    return []


def test_a_patch_that_breaks_a_rule_is_refused_with_the_rule_id() -> None:
    patch = {"spec": {"template": {"spec": {"domain": {"cpu": {"dedicatedCpuPlacement": True}}}}}}
    lines = _patched_vm(patch)
    assert any("[kv-dedicated-cpu-threads]" in line and "web.patch" in line for line in lines), lines


def test_a_patch_that_keeps_the_rules_is_accepted() -> None:
    assert (
        _patched_vm({"spec": {"template": {"spec": {"domain": {"cpu": {"model": "host-passthrough"}}}}}})
        == []
    )


def test_a_datavolume_with_a_source_ref_from_a_patch_is_not_taken_for_a_sourceless_one() -> None:
    manifest = first("DataVolume")
    del manifest["spec"]["source"]
    manifest["spec"]["sourceRef"] = {"kind": "DataSource", "name": "fedora"}
    assert object_problems(manifest) == []
    del manifest["spec"]["sourceRef"]
    assert rule_ids(object_problems(manifest)) == {"cdi-one-source"}
