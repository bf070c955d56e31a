"""Config-driven input: the ``kubevirt:fleet`` stack config (snake_case) to validated ``FleetArgs``.

Order: the JSON Schema in ``schemas/fleet.schema.json`` (shipped in the package as ``data/schemas``) checks
the shape (unknown keys get a "did you mean"), then the dataclasses are built with fleet ``defaults``
applied, then ``validate.validate_fleet`` checks meaning.
Every problem from every stage that could run is raised together in one ValidationError.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from referencing import Registry, Resource

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem, ValidationError, sort_problems
from pulumi_kubevirt.core.packaged import PRODUCT_DATA
from pulumi_kubevirt.core.quantity import suggest_quantity
from pulumi_kubevirt.spec import (
    AccessMode,
    AttachmentKind,
    BlankSource,
    CacheMode,
    Cdrom,
    CdromBus,
    Checkpoint,
    CloneArgs,
    CloneSourceKind,
    CloudInit,
    CloudInitKind,
    ContainerDisk,
    Cpu,
    DataSourceRef,
    DiskArgs,
    DiskAttachment,
    DiskBus,
    DiskSource,
    EvictionStrategy,
    Firmware,
    FirmwareKind,
    FleetArgs,
    FleetDefaults,
    HttpSource,
    ImageSource,
    InferFailurePolicy,
    InferFromRootDisk,
    InstancetypeKind,
    InstancetypeRef,
    Ipam,
    IpamType,
    IpFamily,
    MacvlanMode,
    Memory,
    MigrationPolicyArgs,
    NetworkArgs,
    NetworkType,
    Nic,
    NicBinding,
    NicModel,
    NicPort,
    PlainPvc,
    PoolArgs,
    PoolUpdate,
    PreferenceKind,
    PreferenceRef,
    Protocol,
    PullMethod,
    PullPolicy,
    PvcCloneSource,
    RegistrySource,
    Resources,
    RestartPolicy,
    Restore,
    RootDisk,
    Route,
    RunStrategy,
    ServiceExposure,
    ServicePort,
    ServiceType,
    SshKeys,
    SshPropagation,
    Sysprep,
    SysprepSourceKind,
    Tpm,
    UploadSource,
    VddkSource,
    VirtualMachineArgs,
    VolumeMode,
    WaitFor,
)
from pulumi_kubevirt.spec.validate import validate_fleet

SCHEMA_FILES = ("fleet", "virtualmachine", "disk", "network")
TITLE = "The fleet configuration (kubevirt:fleet) is not valid"
# Values under these keys are secrets: errors name the path but never show the value.
SECRET_KEYS = frozenset({"user_data", "network_data"})


@functools.cache
def fleet_validator() -> Draft202012Validator:
    """The fleet schema with its per-resource schemas registered for ``$ref``."""
    documents = {
        name: PRODUCT_DATA.read_json(
            f"schemas/{name}.schema.json", "is the JSON Schema every kubevirt:fleet config is checked against"
        )
        for name in SCHEMA_FILES
    }
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in documents.values()
    )
    return Draft202012Validator(documents["fleet"], registry=registry)


# --- Schema errors as Problems --------------------------------------------------------------------


def _schema_problems(config: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    for error in fleet_validator().iter_errors(config):
        problems += _problems_from(error, path)
    return problems


def _location(path: str, parts: Sequence[Any]) -> str:
    return paths.join(path, *[p if isinstance(p, int) else str(p) for p in parts]) if parts else path


def _problems_from(error: SchemaError, path: str) -> list[Problem]:
    where = _location(path, list(error.absolute_path))
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value = error.instance
    shown = "this value" if SECRET_KEYS & {str(p) for p in error.absolute_path} else repr(value)
    if error.validator == "additionalProperties" and isinstance(value, Mapping):
        allowed = sorted(schema.get("properties", {}))
        problems = []
        for key in sorted(set(value) - set(allowed)):
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            fix = (
                f"did you mean {close[0]!r}?" if close else f"remove it; known keys are {', '.join(allowed)}"
            )
            problems.append(Problem(paths.join(where, str(key)), f"unknown key {key!r}", fix))
        return problems
    if error.validator == "required":
        missing = [k for k in error.validator_value if isinstance(value, Mapping) and k not in value]
        return [Problem(paths.join(where, k), f"{k} is required here", f"add {k}") for k in missing]
    if error.validator == "pattern" and _is_quantity_rule(schema):
        return [Problem(where, f'"{value}" is not a Kubernetes quantity', suggest_quantity(str(value)))]
    if error.validator == "pattern":
        return [
            Problem(
                where,
                f"{value!r} is not a valid name",
                "use lowercase letters, digits and '-', starting and ending with a letter or digit",
            )
        ]
    if error.validator == "enum":
        allowed_values = ", ".join(str(v) for v in error.validator_value)
        close = difflib.get_close_matches(str(value), [str(v) for v in error.validator_value], n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"use one of {allowed_values}"
        return [Problem(where, f"{value!r} is not one of {allowed_values}", fix)]
    if error.validator == "type":
        expected = error.validator_value
        names = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return [Problem(where, f"{shown} is not of type {names}", f"write a value of type {names} here")]
    if error.validator in ("minProperties", "maxProperties") and isinstance(value, Mapping):
        options = ", ".join(sorted(schema.get("properties", {})))
        found = ", ".join(sorted(value)) or "none"
        return [Problem(where, f"exactly one of {options} is needed, found {found}", "keep exactly one")]
    if error.validator in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        bounds = f"from {low} to {high}" if low is not None and high is not None else f"of at least {low}"
        if low is None:
            bounds = f"of at most {high}"
        return [Problem(where, f"{value!r} is out of range", f"use a number {bounds}")]
    if error.validator == "not" and not isinstance(value, Mapping):
        return []  # a "not required" rule only speaks of objects; the type error already names this value
    if error.validator == "not" and {"name", "infer_from_root_disk"} <= set(value):
        return [
            Problem(
                where,
                "name and infer_from_root_disk are both set",
                "name it, or let KubeVirt infer it from the root disk: not both",
            )
        ]
    if (
        error.validator == "anyOf"
        and isinstance(value, Mapping)
        and "infer_from_root_disk" in schema.get("properties", {})
    ):
        if set(value) - set(schema["properties"]):
            return []  # the unknown key is reported on its own
        return [
            Problem(
                where,
                "neither name nor infer_from_root_disk is set",
                "set name, or infer_from_root_disk: true",
            )
        ]
    if error.validator == "dependentRequired" and isinstance(value, Mapping):
        if not {"name", "infer_from_root_disk"} & set(value):
            return []  # "neither name nor infer_from_root_disk" says it
        pairs = [
            (key, needed) for key, needs in error.validator_value.items() if key in value for needed in needs
        ]
        return [
            Problem(paths.join(where, key), f"{key} goes with {needed}, which is not set", f"drop {key}")
            for key, needed in pairs
            if needed not in value
        ]
    if error.validator == "not" and {"vcpus", "sockets"} <= set(value):
        return [
            Problem(where, "vcpus and sockets are both set", "set vcpus, or sockets with cores and threads")
        ]
    return [Problem(where, error.message, "see schemas/fleet.schema.json for the expected shape")]


def _is_quantity_rule(schema: Mapping[str, Any]) -> bool:
    return "Ki|Mi|Gi" in str(schema.get("pattern", ""))


# --- Building the dataclasses ---------------------------------------------------------------------


def _defaults(config: Mapping[str, Any]) -> FleetDefaults:
    raw = config.get("defaults") or {}
    return FleetDefaults(
        namespace=raw.get("namespace"),
        storage_class=raw.get("storage_class"),
        run_strategy=RunStrategy(raw["run_strategy"]) if "run_strategy" in raw else None,
        eviction_strategy=EvictionStrategy(raw["eviction_strategy"]) if "eviction_strategy" in raw else None,
        wait_for=WaitFor(raw["wait_for"]) if "wait_for" in raw else None,
        wait_timeout_seconds=raw.get("wait_timeout_seconds"),
        restart_policy=RestartPolicy(raw["restart_policy"]) if "restart_policy" in raw else None,
        labels=dict(raw.get("labels") or {}),
        adopt=raw.get("adopt"),
    )


def _adopt(raw: Mapping[str, Any], defaults: FleetDefaults) -> bool:
    """``adopt`` of the resource, else of ``defaults``: adopt existing objects instead of creating them."""
    return bool(raw.get("adopt", defaults.adopt))


def _namespace(raw: Mapping[str, Any], defaults: FleetDefaults, where: str, problems: list[Problem]) -> str:
    namespace = raw.get("namespace") or defaults.namespace
    if namespace is None:
        problems.append(
            Problem(
                paths.join(where, "namespace"), "no namespace is set", "set namespace, or defaults.namespace"
            )
        )
        return "default"
    return str(namespace)


def _labels(raw: Mapping[str, Any], defaults: FleetDefaults) -> dict[str, str]:
    merged = dict(defaults.labels)
    merged.update(raw.get("labels") or {})
    return merged


def _str_or_url(raw: Any) -> Mapping[str, Any]:
    return {"url": raw} if isinstance(raw, str) else raw


def _image(raw: Mapping[str, Any]) -> ImageSource:
    if "http" in raw:
        http = _str_or_url(raw["http"])
        return HttpSource(http["url"], http.get("cert_config_map"), http.get("secret_ref"))
    if "registry" in raw:
        reg = _str_or_url(raw["registry"])
        pull = PullMethod(reg["pull_method"]) if "pull_method" in reg else None
        return RegistrySource(reg["url"], pull, reg.get("cert_config_map"), reg.get("secret_ref"))
    if "data_source" in raw:
        data_source = raw["data_source"]
        return DataSourceRef(data_source["name"], data_source.get("namespace"))
    pvc = raw["pvc"]
    return PvcCloneSource(pvc["namespace"], pvc["name"])


def _disk_source(raw: Mapping[str, Any] | None) -> DiskSource | None:
    if not raw:
        return None
    if "blank" in raw:
        return BlankSource()
    if "upload" in raw:
        return UploadSource()
    if "plain_pvc" in raw:
        return PlainPvc()
    if "vddk" in raw:
        vddk = raw["vddk"]
        return VddkSource(
            url=vddk["url"],
            uuid=vddk["uuid"],
            backing_file=vddk["backing_file"],
            thumbprint=vddk["thumbprint"],
            secret_ref=vddk["secret_ref"],
            cert_config_map=vddk.get("cert_config_map"),
            init_image_url=vddk.get("init_image_url"),
        )
    return _image(raw)


def _access_modes(raw: Mapping[str, Any]) -> tuple[AccessMode, ...]:
    return tuple(AccessMode(mode) for mode in raw.get("access_modes") or ())


def _volume_mode(raw: Mapping[str, Any]) -> VolumeMode | None:
    return VolumeMode(raw["volume_mode"]) if "volume_mode" in raw else None


def _network(
    name: str, raw: Mapping[str, Any], defaults: FleetDefaults, where: str, problems: list[Problem]
) -> NetworkArgs:
    ipam_raw = raw.get("ipam") or {}
    ipam = Ipam(
        type=IpamType(ipam_raw.get("type", "none")),
        addresses=tuple(ipam_raw.get("addresses") or ()),
        routes=tuple(Route(r["dst"], r.get("gw")) for r in ipam_raw.get("routes") or ()),
        gateway=ipam_raw.get("gateway"),
        range=ipam_raw.get("range"),
        exclude=tuple(ipam_raw.get("exclude") or ()),
    )
    return NetworkArgs(
        namespace=_namespace(raw, defaults, where, problems),
        name=name,
        type=NetworkType(raw.get("type", "bridge")),
        bridge=raw.get("bridge"),
        vlan=raw.get("vlan"),
        mtu=raw.get("mtu"),
        mac_spoof_check=raw.get("mac_spoof_check"),
        macvlan_master=raw.get("macvlan_master"),
        macvlan_mode=MacvlanMode(raw["macvlan_mode"]) if "macvlan_mode" in raw else None,
        sriov_resource_name=raw.get("sriov_resource_name"),
        ovn_physical_network=raw.get("ovn_physical_network"),
        ipam=ipam,
        labels=_labels(raw, defaults),
        annotations=dict(raw.get("annotations") or {}),
        patch=dict(raw.get("patch") or {}),
        adopt=_adopt(raw, defaults),
    )


def _disk(
    name: str, raw: Mapping[str, Any], defaults: FleetDefaults, where: str, problems: list[Problem]
) -> DiskArgs:
    return DiskArgs(
        namespace=_namespace(raw, defaults, where, problems),
        name=name,
        size=str(raw["size"]),
        source=_disk_source(raw.get("source")),
        pvc_only=bool(raw.get("pvc_only", False)),
        storage_class=raw.get("storage_class", defaults.storage_class),
        access_modes=_access_modes(raw),
        volume_mode=_volume_mode(raw),
        preallocation=raw.get("preallocation"),
        allow_data_loss=bool(raw.get("allow_data_loss", False)),
        labels=_labels(raw, defaults),
        annotations=dict(raw.get("annotations") or {}),
        patch=dict(raw.get("patch") or {}),
        adopt=_adopt(raw, defaults),
        checkpoints=tuple(Checkpoint(c["previous"], c["current"]) for c in raw.get("checkpoints") or ()),
        final_checkpoint=bool(raw.get("final_checkpoint", False)),
    )


def _cpu(raw: Mapping[str, Any] | None) -> Cpu | None:
    if raw is None:
        return None
    common = {
        "max_sockets": raw.get("max_sockets"),
        "model": raw.get("model"),
        "dedicated": raw.get("dedicated", False),
    }
    isolate = bool(raw.get("isolate_emulator_thread", False))
    if "vcpus" in raw:
        cpu = Cpu.vcpus(raw["vcpus"], **common)
    else:
        cpu = Cpu(raw.get("sockets", 1), raw.get("cores", 1), raw.get("threads", 1), **common)
    return dataclasses.replace(cpu, isolate_emulator_thread=isolate) if isolate else cpu


def _memory(raw: Any) -> Memory | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):  # 4Gi, or a wrong type the schema has already reported
        return Memory(str(raw))
    return Memory(
        str(raw["guest"]),
        str(raw["max_guest"]) if "max_guest" in raw else None,
        str(raw["hugepages"]) if "hugepages" in raw else None,
    )


def _attachment(raw: Any, disks: Mapping[tuple[str, str], DiskArgs], namespace: str) -> DiskAttachment:
    entry: Mapping[str, Any] = {"disk": raw} if isinstance(raw, str) else raw
    disk = disks.get((namespace, entry["disk"]))
    if "kind" in entry:
        kind = AttachmentKind(entry["kind"])
    else:
        kind = AttachmentKind.PVC if disk is not None and disk.is_plain_pvc else AttachmentKind.DATAVOLUME
    return DiskAttachment(
        disk=entry["disk"],
        bus=DiskBus(entry.get("bus", "virtio")),
        boot_order=entry.get("boot_order"),
        cache=CacheMode(entry["cache"]) if "cache" in entry else None,
        read_only=bool(entry.get("read_only", False)),
        hotpluggable=bool(entry.get("hotpluggable", False)),
        kind=kind,
        name=entry.get("name"),
        lun=bool(entry.get("lun", False)),
        serial=entry.get("serial"),
    )


def _inferred(raw: Any) -> InferFromRootDisk | None:
    """``{infer_from_root_disk: true}`` (optionally ``on_failure: Ignore``): KubeVirt picks the name."""
    if not isinstance(raw, Mapping) or not raw.get("infer_from_root_disk"):
        return None
    return InferFromRootDisk(InferFailurePolicy(raw.get("on_failure", InferFailurePolicy.REJECT.value)))


def _ref(raw: Any, kind_type: type[InstancetypeKind] | type[PreferenceKind]) -> tuple[str, Any]:
    entry: Mapping[str, Any] = {"name": raw} if isinstance(raw, str) else raw
    return entry["name"], kind_type(entry["kind"]) if "kind" in entry else None


def _vm(
    name: str,
    raw: Mapping[str, Any],
    defaults: FleetDefaults,
    disks: Mapping[tuple[str, str], DiskArgs],
    *,
    where: str,
    problems: list[Problem],
) -> VirtualMachineArgs:
    namespace = _namespace(raw, defaults, where, problems)
    instancetype: InstancetypeRef | InferFromRootDisk | None = None
    preference: PreferenceRef | InferFromRootDisk | None = None
    if "instancetype" in raw:
        instancetype = _inferred(raw["instancetype"])
        if instancetype is None:
            it_name, it_kind = _ref(raw["instancetype"], InstancetypeKind)
            instancetype = InstancetypeRef(it_name, it_kind or InstancetypeKind.CLUSTER)
    if "preference" in raw:
        preference = _inferred(raw["preference"])
        if preference is None:
            pref_name, pref_kind = _ref(raw["preference"], PreferenceKind)
            preference = PreferenceRef(pref_name, pref_kind or PreferenceKind.CLUSTER)
    resources = None
    if "resources" in raw:
        res = raw["resources"]
        resources = Resources(
            {k: str(v) for k, v in (res.get("requests") or {}).items()},
            {k: str(v) for k, v in (res.get("limits") or {}).items()},
        )
    fw = raw.get("firmware") or {}
    tpm_raw = raw.get("tpm")
    tpm = None
    if tpm_raw is True or isinstance(tpm_raw, Mapping):
        tpm = Tpm(
            persistent=bool(tpm_raw.get("persistent", False)) if isinstance(tpm_raw, Mapping) else False
        )
    root = raw.get("root_disk")
    root_disk = None
    if root is not None:
        root_disk = RootDisk(
            image=_image(root["image"]),
            size=str(root["size"]),
            storage_class=root.get("storage_class", defaults.storage_class),
            access_modes=_access_modes(root),
            volume_mode=_volume_mode(root),
            bus=DiskBus(root.get("bus", "virtio")),
            allow_data_loss=bool(root.get("allow_data_loss", False)),
        )
    nics = None
    if "nics" in raw:
        nics = tuple(
            Nic(
                name=n["name"],
                network=n.get("network"),
                binding=NicBinding(n.get("binding", "masquerade")),
                model=NicModel(n["model"]) if "model" in n else None,
                mac_address=n.get("mac_address"),
                ports=tuple(
                    NicPort(p["port"], p.get("name"), Protocol(p.get("protocol", "TCP")))
                    for p in n.get("ports") or ()
                ),
            )
            for n in raw["nics"]
        )
    ci = raw.get("cloud_init")
    cloud_init = None
    if ci is not None:
        cloud_init = CloudInit(
            ci.get("user_data"),
            ci.get("network_data"),
            CloudInitKind(ci.get("kind", "nocloud")),
            ci.get("secret_name"),
            ci.get("device"),
        )
    ssh = raw.get("ssh_keys")
    ssh_keys = None
    if ssh is not None:
        ssh_keys = SshKeys(
            keys=tuple(ssh.get("keys") or ()),
            secret_name=ssh.get("secret_name"),
            propagation=SshPropagation(ssh.get("propagation", "cloud-init")),
            users=tuple(ssh.get("users") or ()),
        )
    svc = raw.get("service")
    service = None
    if svc is not None:
        service = ServiceExposure(
            ServiceType(svc.get("type", "ClusterIP")),
            tuple(
                ServicePort(
                    p["name"],
                    p["port"],
                    p.get("target_port"),
                    Protocol(p.get("protocol", "TCP")),
                    p.get("node_port"),
                )
                for p in svc.get("ports") or ()
            ),
            svc.get("name"),
            dict(svc.get("selector") or {}),
        )
    container_disks = tuple(
        ContainerDisk(
            c["name"],
            c["image"],
            DiskBus(c.get("bus", "virtio")),
            c.get("boot_order"),
            PullPolicy(c["image_pull_policy"]) if "image_pull_policy" in c else None,
            c.get("path"),
        )
        for c in raw.get("container_disks") or ()
    )
    sp = raw.get("sysprep")
    sysprep = None
    if sp is not None:
        sysprep = Sysprep(
            sp["name"],
            SysprepSourceKind(sp.get("source_kind", "secret")),
            sp.get("device", "sysprep"),
            CdromBus(sp.get("bus", "sata")),
        )
    optional: dict[str, Any] = {}
    if nics is not None:
        optional["nics"] = nics
    return VirtualMachineArgs(
        namespace=namespace,
        name=name,
        labels=_labels(raw, defaults),
        annotations=dict(raw.get("annotations") or {}),
        template_annotations=dict(raw.get("template_annotations") or {}),
        template_labels=dict(raw.get("template_labels") or {}),
        instancetype=instancetype,
        preference=preference,
        cpu=_cpu(raw.get("cpu")),
        memory=_memory(raw.get("memory")),
        resources=resources,
        firmware=Firmware(
            FirmwareKind(fw.get("kind", "bios")),
            bool(fw.get("secure_boot", False)),
            bool(fw.get("persistent_efi", False)),
            fw.get("uuid"),
            fw.get("serial"),
        ),
        tpm=tpm,
        machine_type=raw.get("machine_type"),
        run_strategy=RunStrategy(raw.get("run_strategy") or defaults.run_strategy or RunStrategy.ALWAYS),
        eviction_strategy=EvictionStrategy(
            raw.get("eviction_strategy")
            or defaults.eviction_strategy
            or EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE
        ),
        disks=tuple(_attachment(d, disks, namespace) for d in raw.get("disks") or ()),
        cdroms=tuple(
            Cdrom(c["name"], c.get("disk"), CdromBus(c.get("bus", "sata")), c.get("boot_order"))
            for c in raw.get("cdroms") or ()
        ),
        root_disk=root_disk,
        container_disks=container_disks,
        sysprep=sysprep,
        cloud_init=cloud_init,
        ssh_keys=ssh_keys,
        node_selector=dict(raw.get("node_selector") or {}),
        affinity=raw.get("affinity"),
        tolerations=tuple(raw.get("tolerations") or ()),
        hostname=raw.get("hostname"),
        service=service,
        wait_for=WaitFor(raw.get("wait_for") or defaults.wait_for or WaitFor.RUNNING),
        wait_timeout_seconds=int(raw.get("wait_timeout_seconds") or defaults.wait_timeout_seconds or 600),
        wait_interface=str(raw.get("wait_interface") or "default"),
        wait_ip_family=IpFamily(raw["wait_ip_family"]) if raw.get("wait_ip_family") else None,
        wait_ip_cidr=raw.get("wait_ip_cidr"),
        restart_policy=RestartPolicy(
            raw.get("restart_policy") or defaults.restart_policy or RestartPolicy.DEFER
        ),
        patch=dict(raw.get("patch") or {}),
        adopt=_adopt(raw, defaults),
        snapshots=tuple(raw.get("snapshots") or ()),
        snapshot_keep=raw.get("snapshot_keep"),
        snapshot_before=bool(raw.get("snapshot_before", False)),
        restore=Restore(raw["restore"]["snapshot"], raw["restore"].get("name"))
        if raw.get("restore")
        else None,
        **optional,
    )


# --- Where the user wrote it ----------------------------------------------------------------------

_DEFAULTED_VM_FIELDS = (
    "namespace",
    "run_strategy",
    "eviction_strategy",
    "wait_for",
    "wait_timeout_seconds",
    "restart_policy",
)
_SOURCE_KINDS = ("http", "registry", "pvc", "blank", "upload", "plain_pvc")


def written_paths(config: Mapping[str, Any], path: str = "fleet") -> dict[str, str]:
    """Where each built field came from in the user's config, for fields whose path differs after building.

    The dataclasses apply ``defaults`` and expand short forms (``source: {http: URL}``, ``memory: 4Gi``,
    ``cpu: {vcpus: 4}``, ``disks: [name]``); a problem found on the built fleet is reported where the user
    wrote the value: the key maps a built path (or a prefix of one) to the written path.
    """
    origins: dict[str, str] = {}
    raw_defaults = config.get("defaults")
    defaults: Mapping[str, Any] = raw_defaults if isinstance(raw_defaults, Mapping) else {}
    defaults_path = paths.join(path, "defaults")
    for section in ("networks", "disks", "vms"):
        members = config.get(section)
        for name, raw in sorted(members.items()) if isinstance(members, Mapping) else ():
            if not isinstance(raw, Mapping):
                continue
            where = paths.join(path, section, str(name))
            fields = _DEFAULTED_VM_FIELDS if section == "vms" else ("namespace",)
            for field_name in fields:
                if field_name not in raw and field_name in defaults:
                    origins[paths.join(where, field_name)] = paths.join(defaults_path, field_name)
            labels = raw.get("labels") if isinstance(raw.get("labels"), Mapping) else {}
            default_labels = defaults.get("labels") if isinstance(defaults.get("labels"), Mapping) else {}
            for key in default_labels or {}:
                if key not in (labels or {}):
                    origins[paths.join(where, "labels", str(key))] = paths.join(
                        defaults_path, "labels", str(key)
                    )
            if section == "disks":
                _storage_origins(raw, where, defaults, defaults_path, origins)
                _source_origins(raw.get("source"), paths.join(where, "source"), origins)
            if section == "vms":
                _vm_origins(raw, where, defaults, defaults_path, origins)
    return origins


def _storage_origins(
    raw: Mapping[str, Any],
    where: str,
    defaults: Mapping[str, Any],
    defaults_path: str,
    origins: dict[str, str],
) -> None:
    if "storage_class" not in raw and "storage_class" in defaults:
        origins[paths.join(where, "storage_class")] = paths.join(defaults_path, "storage_class")


def _source_origins(raw: Any, where: str, origins: dict[str, str]) -> None:
    """``source: {http: URL}`` builds ``source.url``: report it at ``source.http`` (``source.http.url``)."""
    if not isinstance(raw, Mapping):
        return
    kind = next((k for k in _SOURCE_KINDS if k in raw), None)
    if kind is None:
        return
    origins[where] = paths.join(where, kind)
    if isinstance(raw[kind], str):
        origins[paths.join(where, "url")] = paths.join(where, kind)


def _vm_origins(
    raw: Mapping[str, Any],
    where: str,
    defaults: Mapping[str, Any],
    defaults_path: str,
    origins: dict[str, str],
) -> None:
    root = raw.get("root_disk")
    if isinstance(root, Mapping):
        _storage_origins(root, paths.join(where, "root_disk"), defaults, defaults_path, origins)
        _source_origins(root.get("image"), paths.join(where, "root_disk", "image"), origins)
    cpu = raw.get("cpu")
    if isinstance(cpu, Mapping) and "vcpus" in cpu:
        origins[paths.join(where, "cpu", "sockets")] = paths.join(where, "cpu", "vcpus")
    if isinstance(raw.get("memory"), str | int):
        origins[paths.join(where, "memory", "guest")] = paths.join(where, "memory")
    for ref in ("instancetype", "preference"):
        if isinstance(raw.get(ref), str):
            origins[paths.join(where, ref, "name")] = paths.join(where, ref)
    disks = raw.get("disks")
    for index, entry in enumerate(disks if isinstance(disks, list) else ()):
        if isinstance(entry, str):
            origins[paths.join(where, "disks", index, "disk")] = paths.join(where, "disks", index)


def as_written(problems: list[Problem], origins: Mapping[str, str]) -> list[Problem]:
    """Each problem at the path the user wrote (the longest matching origin), duplicates merged.

    A bad value in ``defaults`` is found once per member that inherits it; mapped to ``fleet.defaults...``
    those problems become identical and ``sort_problems`` keeps one.
    """
    if not origins:
        return problems
    parsed = {tuple(paths.parse_path(built)): written for built, written in origins.items()}
    mapped: list[Problem] = []
    for problem in problems:
        try:
            segments = paths.parse_path(problem.path)
        except ValueError:
            mapped.append(problem)
            continue
        for length in range(len(segments), 0, -1):
            written = parsed.get(tuple(segments[:length]))
            if written is not None:
                rest = paths.format_path(segments[length:])
                joined = written + ("" if not rest else rest if rest.startswith("[") else "." + rest)
                mapped.append(Problem(joined, problem.message, problem.fix))
                break
        else:
            mapped.append(problem)
    return list(sort_problems(mapped))


def build_fleet(config: Mapping[str, Any], path: str = "fleet") -> tuple[FleetArgs, list[Problem]]:
    """Dataclasses from schema-valid config, with defaults applied, and problems found while building."""
    problems: list[Problem] = []
    defaults = _defaults(config)
    networks = tuple(
        _network(name, raw, defaults, paths.join(path, "networks", name), problems)
        for name, raw in sorted((config.get("networks") or {}).items())
    )
    disks = tuple(
        _disk(name, raw, defaults, paths.join(path, "disks", name), problems)
        for name, raw in sorted((config.get("disks") or {}).items())
    )
    by_key = {(d.namespace, d.name): d for d in disks}
    vms = tuple(
        _vm(name, raw, defaults, by_key, where=paths.join(path, "vms", name), problems=problems)
        for name, raw in sorted((config.get("vms") or {}).items())
    )
    pools = tuple(
        _pool(name, raw, defaults, by_key, where=paths.join(path, "pools", name), problems=problems)
        for name, raw in sorted((config.get("pools") or {}).items())
    )
    clones = tuple(
        _clone(name, raw, defaults, paths.join(path, "clones", name), problems)
        for name, raw in sorted((config.get("clones") or {}).items())
    )
    fleet = FleetArgs(
        namespaces=tuple(config.get("namespaces") or ()),
        networks=networks,
        disks=disks,
        vms=vms,
        migration_policies=tuple(
            _migration_policy(name, raw)
            for name, raw in sorted((config.get("migration_policies") or {}).items())
        ),
        clones=clones,
        pools=pools,
        defaults=defaults,
    )
    return fleet, problems


def _migration_policy(name: str, raw: Mapping[str, Any]) -> MigrationPolicyArgs:
    return MigrationPolicyArgs(
        name=name,
        vm_selector=dict(raw.get("vm_selector") or {}),
        namespace_selector=dict(raw.get("namespace_selector") or {}),
        bandwidth_per_migration=raw.get("bandwidth_per_migration"),
        completion_timeout_per_gib=raw.get("completion_timeout_per_gib"),
        allow_auto_converge=raw.get("allow_auto_converge"),
        allow_post_copy=raw.get("allow_post_copy"),
        allow_workload_disruption=raw.get("allow_workload_disruption"),
        labels=dict(raw.get("labels") or {}),
    )


def _clone(
    name: str, raw: Mapping[str, Any], defaults: FleetDefaults, where: str, problems: list[Problem]
) -> CloneArgs:
    return CloneArgs(
        namespace=_namespace(raw, defaults, where, problems),
        name=name,
        source=str(raw["source"]),
        target=str(raw["target"]),
        source_kind=CloneSourceKind(raw.get("source_kind", CloneSourceKind.VIRTUAL_MACHINE)),
        new_mac_addresses=dict(raw.get("new_mac_addresses") or {}),
        new_smbios_serial=raw.get("new_smbios_serial"),
        labels=_labels(raw, defaults),
    )


def _pool(
    name: str,
    raw: Mapping[str, Any],
    defaults: FleetDefaults,
    disks: Mapping[tuple[str, str], DiskArgs],
    *,
    where: str,
    problems: list[Problem],
) -> PoolArgs:
    vm = _vm(name, raw["vm"], defaults, disks, where=paths.join(where, "vm"), problems=problems)
    return PoolArgs(
        vm=vm,
        replicas=int(raw.get("replicas", 1)),
        update=PoolUpdate(raw.get("update", PoolUpdate.PROACTIVE)),
        max_unavailable=raw.get("max_unavailable"),
        labels=_labels(raw, defaults),
    )


def load_fleet(config: Mapping[str, Any], path: str = "fleet") -> FleetArgs:
    """Validate ``kubevirt:fleet`` config and return the fleet; raise ValidationError with every problem."""
    if not isinstance(config, Mapping):
        problem = Problem(
            path, "the fleet config is not a mapping", "write namespaces, networks, disks and vms"
        )
        raise ValidationError([problem], TITLE)
    schema_problems = _schema_problems(config, path)
    if schema_problems:
        # A path the schema already faults needs no second, semantic wording of the same mistake.
        faulted = {problem.path for problem in schema_problems}
        semantic = [p for p in _semantic_problems_despite(config, path) if p.path not in faulted]
        raise ValidationError(schema_problems + semantic, TITLE)
    fleet, problems = build_fleet(config, path)
    problems = as_written(problems + validate_fleet(fleet, path), written_paths(config, path))
    if problems:
        raise ValidationError(problems, TITLE)
    return fleet


def _semantic_problems_despite(config: Mapping[str, Any], path: str) -> list[Problem]:
    """The semantic problems of a config that already failed its schema, so a user sees all problems at once.

    Building from a config of the wrong shape can fail anywhere; the schema problems already name the cause
    then, so such a failure only means there is nothing more to add.
    """
    try:
        fleet, problems = build_fleet(config, path)
        return as_written(problems + validate_fleet(fleet, path), written_paths(config, path))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        return []


__all__ = [
    "CLOUD_INIT_SECRET_KEYS",
    "as_written",
    "build_fleet",
    "fleet_validator",
    "load_fleet",
    "load_fleet_with_secrets",
    "written_paths",
]


# --- Cloud-init data from secret config keys ------------------------------------------------------

CLOUD_INIT_SECRET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("user_data", "cloudInitUserData_{vm}", "#cloud-config\n"),
    ("network_data", "cloudInitNetworkData_{vm}", "version: 2\n"),
)
"""(cloud_init field, secret config key template, stand-in that passes validation until the secret is set)."""

SecretValue = TypeVar("SecretValue")


def load_fleet_with_secrets(
    config: Any, get_secret: Callable[[str], SecretValue | None], path: str = "fleet"
) -> FleetArgs:
    """The validated fleet, with each VM's cloud-init data taken from its secret config keys.

    ``kubevirt:cloudInitUserData_<vm>`` and ``kubevirt:cloudInitNetworkData_<vm>`` keep cloud-init data out of
    the stack file in clear. ``get_secret`` reads one key (without the ``kubevirt:`` prefix): a Pulumi secret
    Output in a program, the config string under ``kvplan``; either way the same fleet comes out, which is
    what lets ``kvplan`` compile a config-driven stack without the Pulumi runtime. Every problem is in one
    ValidationError.
    """
    problems: list[Problem] = []
    secrets: dict[str, dict[str, SecretValue]] = {}
    patched = copy.deepcopy(config)
    vms = patched.get("vms") if isinstance(patched, dict) else None
    for vm_name, vm_raw in sorted(vms.items()) if isinstance(vms, dict) else ():
        if not isinstance(vm_raw, dict):
            continue
        for field, template, stand_in in CLOUD_INIT_SECRET_KEYS:
            secret_key = template.format(vm=vm_name)
            value = get_secret(secret_key)
            if value is None:
                continue
            cloud_init = vm_raw.setdefault("cloud_init", {})
            if not isinstance(cloud_init, dict):
                continue
            if cloud_init.get(field) is not None:
                problems.append(
                    Problem(
                        paths.join(path, "vms", vm_name, "cloud_init", field),
                        f"is set here and also by the secret config key kubevirt:{secret_key}",
                        f"keep only the secret (pulumi config set --secret {secret_key}) and drop {field}",
                    )
                )
                continue
            cloud_init[field] = stand_in
            secrets.setdefault(vm_name, {})[field] = value
    try:
        fleet = load_fleet(patched, path)
    except ValidationError as error:
        raise ValidationError([*error.problems, *problems], error.title) from None
    if problems:
        raise ValidationError(problems, TITLE)
    return dataclasses.replace(
        fleet, vms=tuple(_with_secrets(vm, secrets.get(vm.name, {})) for vm in fleet.vms)
    )


def _with_secrets(vm: VirtualMachineArgs, values: Mapping[str, object]) -> VirtualMachineArgs:
    if not values or vm.cloud_init is None:
        return vm
    cloud_init = dataclasses.replace(
        vm.cloud_init,
        user_data=values.get("user_data", vm.cloud_init.user_data),
        network_data=values.get("network_data", vm.cloud_init.network_data),
    )
    return dataclasses.replace(vm, cloud_init=cloud_init)
