"""Small realistic manifests for plan tests: what the compiler emits, and what the API server gives back.

The VM is modelled on the upstream ``vm-alpine-datavolume`` sample (kubevirt v1.9.0 examples), with its disk
as a standalone DataVolume as our compiler emits it.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_kubevirt.core.labels import stack_labels
from pulumi_kubevirt.core.quantity import parse_quantity
from pulumi_kubevirt.facts.kubevirt import DEFAULT_MAX_HOTPLUG_RATIO
from pulumi_kubevirt.facts.platform import PLATFORM_FIELDS, Treatment
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

PROJECT = "shop"
STACK = "prod"
NS = "prod"
LABELS = stack_labels(PROJECT, STACK)
OUR_MANAGER = "pulumi-kubernetes-5e1a2b3c"
APPLIED_AT = "2026-11-20T09:00:00Z"

Manifest = dict[str, Any]


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "labels": dict(LABELS), **extra}


def vm(
    name: str = "web",
    *,
    sockets: int = 2,
    cores: int = 1,
    memory: str = "2Gi",
    run_strategy: str = "Always",
    disks: Iterable[str] = ("root",),
    hotplug: Iterable[str] = (),
    tier: str = "a",
    cloud_init_secret: str | None = "web-cloud-init",
) -> Manifest:
    disk_names = list(disks)
    hot = list(hotplug)
    volumes: list[dict[str, Any]] = [{"name": d, "dataVolume": {"name": f"{name}-{d}"}} for d in disk_names]
    volumes += [{"name": d, "dataVolume": {"name": f"{name}-{d}", "hotpluggable": True}} for d in hot]
    devices_disks: list[dict[str, Any]] = [
        {"name": d, "disk": {"bus": "virtio"}, **({"bootOrder": 1} if i == 0 else {})}
        for i, d in enumerate(disk_names)
    ]
    devices_disks += [{"name": d, "disk": {"bus": "scsi"}} for d in hot]
    if cloud_init_secret:
        volumes.append({"name": "cloudinit", "cloudInitNoCloud": {"secretRef": {"name": cloud_init_secret}}})
        devices_disks.append({"name": "cloudinit", "disk": {"bus": "virtio"}})
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": _meta(name),
        "spec": {
            "runStrategy": run_strategy,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, "tier": tier}},
                "spec": {
                    "domain": {
                        "cpu": {"sockets": sockets, "cores": cores, "threads": 1},
                        "memory": {"guest": memory},
                        "devices": {
                            "disks": devices_disks,
                            "interfaces": [{"name": "default", "masquerade": {}}],
                        },
                    },
                    "networks": [{"name": "default", "pod": {}}],
                    "volumes": volumes,
                    "terminationGracePeriodSeconds": 60,
                },
            },
        },
    }


def data_volume(
    name: str = "web-root",
    *,
    size: str = "10Gi",
    url: str = "https://images.example/alpine-3.20.qcow2",
    storage_class: str = "standard",
) -> Manifest:
    return {
        "apiVersion": "cdi.kubevirt.io/v1beta1",
        "kind": "DataVolume",
        "metadata": _meta(name),
        "spec": {
            "source": {"http": {"url": url}},
            "storage": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
                "storageClassName": storage_class,
            },
        },
    }


def pvc(name: str = "web-data", *, size: str = "10Gi", storage_class: str = "standard") -> Manifest:
    """A plain-PVC disk (``pvc_only``): its size is the one spec field that may change in place."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _meta(name),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class,
        },
    }


def secret(
    name: str = "web-cloud-init", *, user_data: str = "#cloud-config\npassword: hunter2-s3cret\n"
) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(name),
        "type": "Opaque",
        "stringData": {"userdata": user_data},
    }


def service(name: str = "web", *, port: int = 80, selector: str = "web") -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name),
        "spec": {
            "selector": {"app.kubernetes.io/name": selector},
            "ports": [{"name": "http", "port": port, "targetPort": 8080, "protocol": "TCP"}],
        },
    }


def network(name: str = "vlan10", *, vlan: int = 10) -> Manifest:
    config = {"cniVersion": "0.3.1", "name": name, "type": "bridge", "bridge": "br1", "vlan": vlan}
    return {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": _meta(name),
        "spec": {"config": json.dumps(config, sort_keys=True)},
    }


def fields_v1(value: Any) -> dict[str, Any]:
    """The ``fieldsV1`` a manager owns after applying ``value`` (keyed lists by name, other lists atomic)."""
    out: dict[str, Any] = {}
    if not isinstance(value, Mapping):
        return out
    for key, sub in value.items():
        if isinstance(sub, Mapping):
            out[f"f:{key}"] = fields_v1(sub)
        elif isinstance(sub, list) and sub and all(isinstance(i, Mapping) and "name" in i for i in sub):
            out[f"f:{key}"] = {f'k:{{"name":"{item["name"]}"}}': {".": {}, **fields_v1(item)} for item in sub}
        else:
            out[f"f:{key}"] = {}
    return out


def managed_entry(
    manifest: Mapping[str, Any],
    manager: str = OUR_MANAGER,
    *,
    time: str = APPLIED_AT,
    operation: str = "Apply",
) -> dict[str, Any]:
    body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    meta = dict(body.get("metadata") or {})
    for drop in ("name", "namespace"):
        meta.pop(drop, None)
    body["metadata"] = meta
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": manifest["apiVersion"],
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(body),
    }


def _respell(value: str) -> str:
    """``2Gi`` -> ``2048Mi``: the same quantity, spelled differently."""
    if value.endswith("Gi"):
        return f"{int(value[:-2]) * 1024}Mi"
    return value


PLATFORM_SAMPLES: dict[str, str] = {
    "uuid": "5d307ca9-b3ef-428c-8861-06e72d69f223",
    "serial": "abc-123",
    "type": "q35",
    "architecture": "amd64",
    "kubevirt.io/pci-topology-version": "v3",
    "revisionName": "web-u1.medium-1",
}
"""A value KubeVirt would write, per platform field (keyed by the field's last key)."""


def write_platform_fields(obj: Manifest) -> None:
    """Write each field ``facts.platform`` says KubeVirt writes on this kind (when its parent exists)."""
    for row in PLATFORM_FIELDS:
        if row.kind != obj["kind"] or row.treatment is not Treatment.WRITTEN:
            continue
        *parents, leaf = (str(item) for item in row.pattern)
        if (
            parents[:1] == ["spec"]
            and parents[1] in ("instancetype", "preference")
            and parents[1] not in obj["spec"]
        ):
            continue
        node = obj
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = PLATFORM_SAMPLES[leaf]


def live(manifest: Mapping[str, Any], *, extra_managers: Iterable[Mapping[str, Any]] = ()) -> Manifest:
    """What the API server returns after our apply: server metadata, status, defaults, sizes respelt."""
    obj: Manifest = copy.deepcopy(dict(manifest))
    meta = obj["metadata"]
    meta.update(
        uid="3f6b1a52-0d7e-4c55-9a3e-1b2c3d4e5f60",
        resourceVersion="48213",
        generation=3,
        creationTimestamp=APPLIED_AT,
        managedFields=[managed_entry(manifest), *extra_managers],
    )
    kind = obj["kind"]
    if kind == "VirtualMachine":
        meta["finalizers"] = ["kubevirt.io/virtualMachineControllerFinalize"]
        write_platform_fields(obj)
        memory = obj["spec"]["template"]["spec"]["domain"].get("memory")
        if memory:  # a VM sized by its instancetype has none
            memory["guest"] = _respell(memory["guest"])
        obj["status"] = {
            "printableStatus": "Running",
            "ready": True,
            "conditions": [{"type": "Ready", "status": "True"}],
        }
    elif kind == "DataVolume":
        requests = obj["spec"]["storage"]["resources"]["requests"]
        requests["storage"] = _respell(requests["storage"])
        obj["status"] = {"phase": "Succeeded", "progress": "100.0%"}
    elif kind == "Secret":
        data = {k: base64.b64encode(v.encode()).decode() for k, v in obj.pop("stringData", {}).items()}
        obj["data"] = data
    elif kind == "Service":
        obj["spec"].update(
            clusterIP="10.96.12.7",
            clusterIPs=["10.96.12.7"],
            type="ClusterIP",
            sessionAffinity="None",
            ipFamilies=["IPv4"],
        )
        obj["status"] = {"loadBalancer": {}}
    return obj


def vmi(
    vm_manifest: Mapping[str, Any],
    *,
    max_sockets: int | None = None,
    phase: str = "Running",
    migratable: bool = True,
) -> Manifest:
    """The running VMI behind a VM: its CPU and memory with the hot-plug limits KubeVirt computed at boot."""
    domain = vm_manifest["spec"]["template"]["spec"]["domain"]
    ratio = DEFAULT_MAX_HOTPLUG_RATIO.value
    cpu = dict(domain["cpu"])
    cpu["maxSockets"] = max_sockets if max_sockets is not None else cpu["sockets"] * ratio
    guest = domain["memory"]["guest"]
    max_guest = f"{int(parse_quantity(guest) * ratio) // 2**20}Mi"
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {"name": vm_manifest["metadata"]["name"], "namespace": NS},
        "spec": {
            "architecture": "amd64",
            "domain": {"cpu": cpu, "memory": {"guest": guest, "maxGuest": max_guest}},
        },
        "status": {
            "memory": {"guestAtBoot": guest, "guestCurrent": guest, "guestRequested": guest},
            "phase": phase,
            "conditions": [{"type": "LiveMigratable", "status": "True" if migratable else "False"}],
        },
    }


def kubevirt(
    rollout: str | None = "LiveUpdate",
    methods: Iterable[str] = ("LiveMigrate",),
    *,
    gates: Iterable[str] = (),
    disabled_gates: Iterable[str] = (),
) -> Manifest:
    config: dict[str, Any] = {} if rollout is None else {"vmRolloutStrategy": rollout}
    if gates or disabled_gates:
        config["developerConfiguration"] = {
            "featureGates": list(gates),
            "disabledFeatureGates": list(disabled_gates),
        }
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "KubeVirt",
        "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
        "spec": {"configuration": config, "workloadUpdateStrategy": {"workloadUpdateMethods": list(methods)}},
    }


def storage_class(name: str = "standard", *, expand: bool = True, default: bool = True) -> Manifest:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": annotations},
        "provisioner": "rancher.io/local-path",
        "allowVolumeExpansion": expand,
    }


def stack(**vm_args: Any) -> list[Manifest]:
    """A VM with its root disk, cloud-init Secret and Service, in apply order."""
    return [secret(), data_volume(), vm(**vm_args), service()]


def state(
    objects: Iterable[Mapping[str, Any]],
    *,
    rollout: str | None = "LiveUpdate",
    methods: Iterable[str] = ("LiveMigrate",),
    gates: Iterable[str] = (),
    disabled_gates: Iterable[str] = (),
    expand: bool = True,
    unmanaged: Iterable[ObjectKey] = (),
    cluster: str = "prod-east",
) -> LiveState:
    return LiveState(
        objects={ObjectKey.of(o): o for o in objects},
        kubevirt=kubevirt(rollout, methods, gates=gates, disabled_gates=disabled_gates),
        storage_classes={"standard": storage_class(expand=expand)},
        unmanaged=frozenset(unmanaged),
        cluster=cluster,
    )


def running(desired: Iterable[Mapping[str, Any]], **vmi_args: Any) -> list[Manifest]:
    """Live objects for a stack that was applied and whose VMs run."""
    out: list[Manifest] = []
    for manifest in desired:
        out.append(live(manifest))
        if manifest["kind"] == "VirtualMachine":
            out.append(vmi(manifest, **vmi_args))
    return out
