"""Kubernetes objects to fleet config: VirtualMachine, DataVolume, PVC, NetworkAttachmentDefinition, Service.

Pure: takes parsed objects (from files or from the live reader), returns an :class:`ImportResult`. Typed
fields are used wherever they exist; what they cannot say goes to the resource's ``patch`` (reported
``warned``); what the platform or another manager writes is dropped (reported ``dropped``, with the reason)
and never claimed by our field manager. Where KubeVirt's default differs from ours, the value is written
explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.compile import CDI_API, CDI_KEEP_ANNOTATIONS, CNI_VERSION, KUBEVIRT_API, NAD_API
from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.labels import (
    COMPONENT_KEY,
    COMPONENT_KIND_KEY,
    MANAGED_BY_KEY,
    PROJECT_KEY,
    STACK_KEY,
)
from pulumi_kubevirt.facts.pattern import format_pattern
from pulumi_kubevirt.facts.platform import SERVER_METADATA, Treatment
from pulumi_kubevirt.importers.report import FieldRecord, FieldStatus, ImportResult, SecretReference
from pulumi_kubevirt.importers.walk import Walk
from pulumi_kubevirt.plan.normalise import platform_field
from pulumi_kubevirt.spec.validate import VM_LABEL_KEY

T = "spec.template.spec"
DOMAIN = f"{T}.domain"
DEVICES = f"{DOMAIN}.devices"

OURS = frozenset({MANAGED_BY_KEY, PROJECT_KEY, STACK_KEY, COMPONENT_KEY, COMPONENT_KIND_KEY, VM_LABEL_KEY})


FORKLIFT = "kubev2v/forklift@d42511bb2 pkg/controller/plan/kubevirt.go"


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A label or annotation another manager writes: never claimed by us, so never drift or a change.

    ``key`` ending in ``/`` or ``.`` is a prefix; any other ``key`` matches exactly.
    """

    key: str
    owner: str
    source: str


FOREIGN_METADATA: tuple[ForeignKey, ...] = (
    ForeignKey("kubectl.kubernetes.io/", "kubectl", "kubectl apply (last-applied-configuration)"),
    # Forklift (MTV) labels every object of a migrated VM: planLabels, vmLabels; annotations on the VM.
    *(
        ForeignKey(key, "Forklift (MTV)", f"{FORKLIFT} planLabels/vmLabels")
        for key in ("migration", "plan", "plan-name", "plan-namespace", "vmID", "vmUUID", "forklift.app")
    ),
    ForeignKey("original-ID", "Forklift (MTV)", f"{FORKLIFT} AnnOriginalID"),
    ForeignKey("forklift.konveyor.io/", "Forklift (MTV)", f"{FORKLIFT} (forklift.konveyor.io annotations)"),
    ForeignKey("vm.kubevirt.io/validations", "Forklift (MTV)", f"{FORKLIFT} AnnKubevirtValidations"),
    # Harvester: prefixes as found on Harvester objects (corpus file 18 and 19), not read from its source.
    ForeignKey("harvesterhci.io/", "Harvester", "objects written by Harvester (see the shared corpus)"),
    ForeignKey(
        "network.harvesterhci.io/", "Harvester", "objects written by Harvester (see the shared corpus)"
    ),
    ForeignKey(
        "migrate.harvesterhci.io/", "Harvester vm-import-controller", "harvester/vm-import-controller"
    ),
    ForeignKey("kubevirt.io/latest-observed-api-version", "KubeVirt", "kubevirt pkg/virt-controller"),
    ForeignKey("kubevirt.io/storage-observed-api-version", "KubeVirt", "kubevirt pkg/virt-controller"),
    ForeignKey("cdi.kubevirt.io/storage.", "CDI", "kubevirt/containerized-data-importer pkg/controller"),
    ForeignKey("pv.kubernetes.io/", "the PV controller", "k8s pkg/controller/volume/persistentvolume"),
    ForeignKey("volume.kubernetes.io/", "the PV controller", "k8s pkg/controller/volume/persistentvolume"),
    ForeignKey(
        "volume.beta.kubernetes.io/", "the PV controller", "k8s pkg/controller/volume/persistentvolume"
    ),
)


def foreign_owner(key: str) -> ForeignKey | None:
    for row in FOREIGN_METADATA:
        if (row.key.endswith(("/", ".")) and key.startswith(row.key)) or key == row.key:
            return row
    return None


@dataclass(frozen=True, slots=True)
class SourceObject:
    """One parsed Kubernetes object and where it came from (a file, or ``cluster:<context>``)."""

    obj: Mapping[str, Any]
    source: str

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    def namespace(self, default: str) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or default)


IMPORTED_KINDS = frozenset(
    {
        "VirtualMachine",
        "DataVolume",
        "PersistentVolumeClaim",
        "NetworkAttachmentDefinition",
        "Service",
        "Secret",
    }
)


class _Import:
    """Shared state while one set of objects is imported."""

    def __init__(self, objects: Sequence[SourceObject], default_namespace: str, adopt: bool) -> None:
        self.objects = objects
        self.default_namespace = default_namespace
        self.adopt = adopt
        self.vms: dict[str, dict[str, Any]] = {}
        self.disks: dict[str, dict[str, Any]] = {}
        self.networks: dict[str, dict[str, Any]] = {}
        self.records: list[FieldRecord] = []
        self.secrets: list[SecretReference] = []
        self.problems: list[Problem] = []
        self.by_kind: dict[tuple[str, str, str], SourceObject] = {}
        for item in objects:
            self.by_kind[(item.kind, item.namespace(default_namespace), item.name)] = item

    def find(self, kind: str, namespace: str, name: str) -> SourceObject | None:
        return self.by_kind.get((kind, namespace, name))


COMPILED_API_VERSIONS = {
    "VirtualMachine": KUBEVIRT_API,
    "DataVolume": CDI_API,
    "NetworkAttachmentDefinition": NAD_API,
    "PersistentVolumeClaim": "v1",
}


def _type_meta(walk: Walk, kind: str) -> None:
    walk.take("kind", "", FieldStatus.MAPPED, "the component decides the kind")
    api = walk.get("apiVersion")
    if api == COMPILED_API_VERSIONS.get(kind):
        walk.take("apiVersion", "", FieldStatus.MAPPED, "the version pulumi-kubevirt writes")
    elif api is not None:
        walk.take(
            "apiVersion",
            "",
            FieldStatus.RENAMED,
            f"written as {COMPILED_API_VERSIONS.get(kind)}; the API server serves the object at both",
        )


def _metadata(walk: Walk, out: dict[str, Any], kind: str) -> None:
    """Name, namespace, labels and annotations; server metadata and other managers' keys dropped."""
    _type_meta(walk, kind)
    walk.take("metadata.name", "", FieldStatus.MAPPED, "the object's name is its key in the stack config")
    if walk.has("metadata.namespace"):
        walk.take("metadata.namespace", "namespace")
    for row in SERVER_METADATA:
        field = format_pattern(row.path)
        if row.path[0] == "metadata" and walk.has(field):
            walk.drop(field, f"{row.reason} ({row.source})")
    if walk.has("status"):
        walk.drop("status", "observed state, written by controllers")
    for section in ("labels", "annotations"):
        for key, value in sorted((walk.get(f"metadata.{section}") or {}).items()):
            path = paths.join("metadata", section, key)
            owner = foreign_owner(key)
            if key in OURS:
                walk.drop(path, "written by pulumi-kubevirt itself on every object it compiles")
            elif owner is not None:
                walk.drop(path, f"written by {owner.owner} ({owner.source}); left to it, never claimed by us")
            elif kind == "DataVolume" and key in CDI_KEEP_ANNOTATIONS and CDI_KEEP_ANNOTATIONS[key] == value:
                walk.take(path, "", FieldStatus.MAPPED, "pulumi-kubevirt writes it on every DataVolume")
            else:
                out.setdefault(section, {})[key] = value
                walk.take(path, paths.join(section, key))


def _patch_rest(walk: Walk, out: dict[str, Any], roots: Sequence[str]) -> None:
    """Everything under ``roots`` no typed field took goes to ``patch``, one ``warned`` row per field."""
    patch: dict[str, Any] = {}
    for root in roots:
        rest = walk.rest(root)
        if not rest:
            continue
        residual = walk.residual(root)
        node = patch
        parts = paths.parse_path(root)
        for segment in parts[:-1]:
            assert isinstance(segment, paths.Key)
            node = node.setdefault(segment.key, {})
        last = parts[-1]
        assert isinstance(last, paths.Key)
        node[last.key] = residual
        for path, _value in rest:
            walk.take(path, f"patch.{path}", FieldStatus.WARNED, "no typed field: kept in the patch")
    if patch:
        out["patch"] = patch


# --- DataVolume and PVC ---------------------------------------------------------------------------

_DV_SOURCES = ("http", "registry", "pvc", "blank", "upload")


def _dv_spec(walk: Walk, base: str, out: dict[str, Any]) -> None:
    """A DataVolume spec at ``base`` (``spec`` or ``spec.dataVolumeTemplates[name=x].spec``)."""
    source = walk.get(f"{base}.source") or {}
    kinds = [k for k in source if k in _DV_SOURCES]
    if len(source) == 1 and kinds:
        kind = kinds[0]
        raw = source[kind] or {}
        where = f"{base}.source.{kind}"
        if kind in ("blank", "upload"):
            out["source"] = {kind: {}}
            walk.take(where, f"source.{kind}")
        elif kind == "pvc":
            out["source"] = {"pvc": {"namespace": raw.get("namespace"), "name": raw.get("name")}}
            walk.take(where, "source.pvc")
        else:
            entry = {"url": raw.get("url")}
            walk.take(f"{where}.url", f"source.{kind}.url")
            for camel, snake in (("certConfigMap", "cert_config_map"), ("secretRef", "secret_ref")):
                if camel in raw:
                    entry[snake] = raw[camel]
                    walk.take(f"{where}.{camel}", f"source.{kind}.{snake}")
            if kind == "registry" and "pullMethod" in raw:
                entry["pull_method"] = raw["pullMethod"]
                walk.take(f"{where}.pullMethod", "source.registry.pull_method")
            out["source"] = {kind: entry if len(entry) > 1 else entry["url"]}
    api = "storage" if walk.has(f"{base}.storage") else "pvc"
    renamed = api == "pvc"
    status = FieldStatus.RENAMED if renamed else FieldStatus.MAPPED
    note = (
        "the pvc API became the storage API (pulumi-kubevirt always uses it); the value is kept explicitly"
        if renamed
        else ""
    )
    size = walk.get(f"{base}.{api}.resources.requests.storage")
    if size is not None:
        out["size"] = str(size)
        walk.take(f"{base}.{api}.resources.requests.storage", "size", status, note)
    for camel, snake in (
        ("storageClassName", "storage_class"),
        ("accessModes", "access_modes"),
        ("volumeMode", "volume_mode"),
    ):
        if walk.has(f"{base}.{api}.{camel}"):
            out[snake] = walk.take(f"{base}.{api}.{camel}", snake, status, note)
    if walk.has(f"{base}.preallocation"):
        out["preallocation"] = walk.take(f"{base}.preallocation", "preallocation")


def _import_disk(state: _Import, item: SourceObject) -> None:
    namespace = item.namespace(state.default_namespace)
    walk = Walk(item.obj, item.source, f"fleet.disks.{item.name}")
    out: dict[str, Any] = {"namespace": namespace}
    _metadata(walk, out, item.kind)
    if item.kind == "DataVolume":
        _dv_spec(walk, "spec", out)
    else:
        out["source"] = {"plain_pvc": {}}
        size = walk.get("spec.resources.requests.storage")
        if size is not None:
            out["size"] = str(walk.take("spec.resources.requests.storage", "size"))
        for camel, snake in (
            ("storageClassName", "storage_class"),
            ("accessModes", "access_modes"),
            ("volumeMode", "volume_mode"),
        ):
            if walk.has(f"spec.{camel}"):
                out[snake] = walk.take(f"spec.{camel}", snake)
        if walk.has("spec.volumeName"):
            walk.drop("spec.volumeName", "the bound PersistentVolume, written by the PV controller")
    if "size" not in out:
        state.problems.append(
            Problem(f"{item.source}: {item.kind} {item.name}", "no storage size", "give the disk a size")
        )
    _patch_rest(walk, out, ("spec",))
    if state.adopt:
        out["adopt"] = True
    _merge_disk(state, item, out, walk)


def _merge_disk(state: _Import, item: SourceObject, out: dict[str, Any], walk: Walk) -> None:
    if item.name in state.disks and state.disks[item.name] != out:
        state.problems.append(
            Problem(
                f"fleet.disks.{item.name}",
                f"two different disks are named {item.name!r}",
                "import them into separate stacks",
            )
        )
        return
    state.disks[item.name] = out
    state.records += walk.records


# --- NetworkAttachmentDefinition ------------------------------------------------------------------

_CNI_TYPES = {"bridge": "bridge", "macvlan": "macvlan", "sriov": "sriov"}


def _import_network(state: _Import, item: SourceObject) -> None:
    namespace = item.namespace(state.default_namespace)
    raw_config = (item.obj.get("spec") or {}).get("config")
    try:
        config = json.loads(raw_config) if isinstance(raw_config, str) else None
    except json.JSONDecodeError:
        config = None
    if not isinstance(config, dict):
        state.problems.append(
            Problem(
                f"{item.source}: NetworkAttachmentDefinition {item.name}.spec.config",
                "is not a JSON CNI configuration",
                "fix the NetworkAttachmentDefinition; Multus would reject it too",
            )
        )
        return
    # The CNI JSON is walked as data, so each of its keys has its own report row.
    obj = {**item.obj, "spec": {**(item.obj.get("spec") or {}), "config": config}}
    walk = Walk(obj, item.source, f"fleet.networks.{item.name}")
    out: dict[str, Any] = {"namespace": namespace}
    _metadata(walk, out, item.kind)
    cni_type = config.get("type")
    if cni_type in _CNI_TYPES:
        out["type"] = _CNI_TYPES[cni_type]
        walk.take("spec.config.type", "type")
        if config.get("cniVersion") == CNI_VERSION:
            walk.take(
                "spec.config.cniVersion", "", FieldStatus.MAPPED, f"pulumi-kubevirt writes {CNI_VERSION}"
            )
        elif "cniVersion" in config:
            walk.take(
                "spec.config.cniVersion",
                "",
                FieldStatus.WARNED,
                f"becomes {CNI_VERSION}, the version pulumi-kubevirt writes; the plugins read both",
            )
        if config.get("name") == item.name:
            walk.take("spec.config.name", "", FieldStatus.MAPPED, "the CNI name is the network's name")
        for key, snake in (
            ("bridge", "bridge"),
            ("vlan", "vlan"),
            ("mtu", "mtu"),
            ("master", "macvlan_master"),
        ):
            if key in config and (cni_type != "macvlan" or key in ("mtu", "master")):
                out[snake] = walk.take(f"spec.config.{key}", snake)
        if cni_type == "macvlan" and "mode" in config:
            out["macvlan_mode"] = walk.take("spec.config.mode", "macvlan_mode")
        if cni_type == "bridge" and "macspoofchk" in config:
            out["mac_spoof_check"] = walk.take("spec.config.macspoofchk", "mac_spoof_check")
        if cni_type == "sriov" and config.get("spoofchk") in ("on", "off"):
            out["mac_spoof_check"] = config["spoofchk"] == "on"
            walk.take(
                "spec.config.spoofchk", "mac_spoof_check", FieldStatus.RENAMED, "on/off became a boolean"
            )
        _ipam(walk, config.get("ipam"), out)
    resource = (walk.get("metadata.annotations") or {}).get("k8s.v1.cni.cncf.io/resourceName")
    if resource is not None and out.get("type") == "sriov":
        out.get("annotations", {}).pop("k8s.v1.cni.cncf.io/resourceName", None)
        if not out.get("annotations"):
            out.pop("annotations", None)
        out["sriov_resource_name"] = resource
        walk.take('metadata.annotations["k8s.v1.cni.cncf.io/resourceName"]', "sriov_resource_name")
    rest = walk.rest("spec.config")
    patch_config = walk.residual("spec.config")
    for path, _value in rest:
        walk.take(
            path, f"patch.{path}", FieldStatus.WARNED, "no typed field: kept in the patch (CNI config key)"
        )
    _patch_rest(walk, out, ("spec",))
    if patch_config:
        out.setdefault("patch", {}).setdefault("spec", {})["config"] = patch_config
    if state.adopt:
        out["adopt"] = True
    state.networks[item.name] = out
    state.records += walk.records


def _ipam(walk: Walk, ipam: Any, out: dict[str, Any]) -> None:
    if ipam is None:
        walk.take(
            "spec.config.ipam",
            "ipam",
            FieldStatus.WARNED,
            "absent in the source; pulumi-kubevirt writes ipam: {} (no IPAM), the same to the plugins: they "
            "run IPAM only when ipam.type is set (containernetworking/plugins plugins/main/bridge/bridge.go "
            "cmdAdd, isLayer3)",
        )
        return
    if not isinstance(ipam, Mapping):
        return
    kind = ipam.get("type")
    if not ipam:
        walk.take("spec.config.ipam", "", FieldStatus.MAPPED, "no IPAM is our default")
    elif kind == "dhcp" and len(ipam) == 1:
        out["ipam"] = {"type": "dhcp"}
        walk.take("spec.config.ipam", "ipam")
    elif kind == "whereabouts" and set(ipam) <= {"type", "range", "exclude"}:
        out["ipam"] = {k: ipam[k] for k in ("type", "range", "exclude") if k in ipam}
        walk.take("spec.config.ipam", "ipam")


# --- VirtualMachine -------------------------------------------------------------------------------

_BINDINGS = ("masquerade", "bridge", "sriov")


def _import_vm(state: _Import, item: SourceObject) -> None:
    namespace = item.namespace(state.default_namespace)
    name = item.name
    walk = Walk(item.obj, item.source, f"fleet.vms.{name}")
    out: dict[str, Any] = {"namespace": namespace}
    _metadata(walk, out, item.kind)
    _run_strategy(walk, out)
    for ref in ("instancetype", "preference"):
        if walk.has(f"spec.{ref}"):
            raw = walk.get(f"spec.{ref}")
            if walk.has(f"spec.{ref}.revisionName"):
                walk.drop(
                    f"spec.{ref}.revisionName", "the ControllerRevision KubeVirt expanded; written by it"
                )
            entry = {"name": raw.get("name")}
            walk.take(f"spec.{ref}.name", f"{ref}.name")
            if "kind" in raw:
                entry["kind"] = raw["kind"]
                walk.take(f"spec.{ref}.kind", f"{ref}.kind")
            out[ref] = entry
    label = paths.join("spec.template.metadata.labels", VM_LABEL_KEY)
    if not walk.has(label):
        walk.take(
            label,
            "",
            FieldStatus.WARNED,
            "pulumi-kubevirt adds its template label; like any template label it reaches the VMI at the next "
            "restart (until then a Service selecting only it would not match; an imported Service keeps its "
            "own selector)",
        )
    _data_volume_templates(state, walk, item, namespace)
    _platform_written(walk)
    _sizing(walk, out)
    _firmware(walk, out)
    _storage(state, walk, out, namespace, name)
    _nics(state, walk, out, namespace)
    _scheduling(walk, out)
    _access_credentials(walk, out)
    _service(state, walk, out, namespace, name)
    if state.adopt:
        out["adopt"] = True
    _patch_rest(walk, out, ("spec",))
    state.vms[name] = out
    state.records += walk.records


def _run_strategy(walk: Walk, out: dict[str, Any]) -> None:
    if walk.has("spec.runStrategy"):
        out["run_strategy"] = walk.take("spec.runStrategy", "run_strategy")
    elif walk.has("spec.running"):
        running = bool(walk.get("spec.running"))
        out["run_strategy"] = "Always" if running else "Halted"
        walk.take("spec.runStrategy", "run_strategy", FieldStatus.RENAMED, "written instead of spec.running")
        walk.take(
            "spec.running",
            "run_strategy",
            FieldStatus.RENAMED,
            "the deprecated running field became runStrategy (kubevirt v1.9.0 "
            "staging/src/kubevirt.io/api/core/v1/types.go VirtualMachine.RunStrategy: "
            "running true = Always, false = Halted)",
        )
    else:
        out["run_strategy"] = "Halted"
        walk.take(
            "spec.runStrategy",
            "run_strategy",
            FieldStatus.WARNED,
            "the source sets neither running nor runStrategy, so KubeVirt keeps it halted "
            "(kubevirt v1.9.0 staging/src/kubevirt.io/api/core/v1/types.go VirtualMachine.RunStrategy: "
            "Halted when both are unset); "
            "written explicitly because our default is Always",
        )


def _data_volume_templates(state: _Import, walk: Walk, item: SourceObject, namespace: str) -> None:
    for template in walk.get("spec.dataVolumeTemplates") or []:
        dv_name = (template.get("metadata") or {}).get("name")
        if not isinstance(dv_name, str):
            continue
        index = (walk.get("spec.dataVolumeTemplates") or []).index(template)
        base = f"spec.dataVolumeTemplates[{index}]"
        disk_walk = Walk(walk.obj, item.source, f"fleet.disks.{dv_name}")
        out: dict[str, Any] = {"namespace": namespace}
        disk_walk.take(
            f"{base}.metadata.name",
            "",
            FieldStatus.RENAMED,
            "a dataVolumeTemplates entry became a standalone Disk of the same name (pulumi-kubevirt never "
            "uses dataVolumeTemplates: the VM would own and delete the disk)",
        )
        _dv_spec(disk_walk, f"{base}.spec", out)
        for path, _value in disk_walk.rest(f"{base}.spec"):
            disk_walk.take(path, "", FieldStatus.WARNED, "not carried over to the standalone Disk")
        if "size" not in out:
            state.problems.append(
                Problem(f"{item.source}: {base}", "the DataVolume template has no size", "give it a size")
            )
        if state.adopt:
            out["adopt"] = True
        state.disks.setdefault(dv_name, out)
        state.records += disk_walk.records
        walk.take(
            base,
            f"fleet.disks.{dv_name}",
            FieldStatus.RENAMED,
            f"became the standalone Disk {dv_name} (its fields are reported one by one)",
        )
    if walk.has("spec.dataVolumeTemplates"):
        walk.taken.append("spec.dataVolumeTemplates")


def _platform_written(walk: Walk) -> None:
    for path, _value in walk.rest("spec"):
        row = platform_field("VirtualMachine", paths.parse_path(path))
        if row is not None and row.treatment is Treatment.WRITTEN:
            walk.drop(path, f"{row.reason} ({row.source})")


def _sizing(walk: Walk, out: dict[str, Any]) -> None:
    if walk.get(f"{DOMAIN}.resources") == {}:
        walk.drop(f"{DOMAIN}.resources", "empty: the same as leaving it out")
    if "instancetype" in out:
        # Typed cpu/memory beside an instancetype is refused by our validation (KubeVirt reports a conflict,
        # pkg/instancetype/apply); whatever the source sets there stays in the patch, reported.
        return
    cpu = walk.get(f"{DOMAIN}.cpu")
    if isinstance(cpu, Mapping):
        entry: dict[str, Any] = {}
        for camel, snake in (
            ("sockets", "sockets"),
            ("cores", "cores"),
            ("threads", "threads"),
            ("maxSockets", "max_sockets"),
            ("model", "model"),
            ("dedicatedCpuPlacement", "dedicated"),
            ("isolateEmulatorThread", "isolate_emulator_thread"),
        ):
            if camel in cpu:
                entry[snake] = walk.take(f"{DOMAIN}.cpu.{camel}", f"cpu.{snake}")
        if entry:
            out["cpu"] = entry
    memory = walk.get(f"{DOMAIN}.memory")
    if isinstance(memory, Mapping) and "guest" in memory:
        mem: dict[str, Any] = {"guest": str(walk.take(f"{DOMAIN}.memory.guest", "memory.guest"))}
        if "maxGuest" in memory:
            mem["max_guest"] = str(walk.take(f"{DOMAIN}.memory.maxGuest", "memory.max_guest"))
        if isinstance(memory.get("hugepages"), Mapping) and set(memory["hugepages"]) == {"pageSize"}:
            mem["hugepages"] = str(walk.take(f"{DOMAIN}.memory.hugepages.pageSize", "memory.hugepages"))
        out["memory"] = mem if len(mem) > 1 else mem["guest"]
    resources = walk.get(f"{DOMAIN}.resources")
    if isinstance(resources, Mapping) and resources:
        res: dict[str, Any] = {}
        for section in ("requests", "limits"):
            for key, value in sorted((resources.get(section) or {}).items()):
                res.setdefault(section, {})[key] = str(value)
                walk.take(paths.join(f"{DOMAIN}.resources.{section}", key), f"resources.{section}.{key}")
        if res:
            out["resources"] = res
        requested = (resources.get("requests") or {}).get("memory")
        if "memory" not in out and "instancetype" not in out and requested is not None:
            out["memory"] = str(requested)
            walk.take(
                f"{DOMAIN}.memory.guest",
                "memory",
                FieldStatus.WARNED,
                "the source sets no guest memory, so KubeVirt gives the guest requests.memory "
                "(kubevirt v1.9.0 pkg/defaults/defaults.go setGuestMemory); written explicitly",
            )


def _firmware(walk: Walk, out: dict[str, Any]) -> None:
    boot = walk.get(f"{DOMAIN}.firmware.bootloader")
    if not isinstance(boot, Mapping):
        return
    if "bios" in boot and boot["bios"] in ({}, None):
        walk.take(
            f"{DOMAIN}.firmware.bootloader.bios", "firmware.kind", FieldStatus.MAPPED, "BIOS is our default"
        )
        return
    efi = boot.get("efi")
    if not isinstance(efi, Mapping) or "bios" in boot:
        return
    fw: dict[str, Any] = {"kind": "uefi"}
    walk.take(f"{DOMAIN}.firmware.bootloader.efi", "firmware.kind", FieldStatus.MAPPED, "EFI is uefi")
    if "secureBoot" in efi:
        fw["secure_boot"] = bool(efi["secureBoot"])
    else:
        fw["secure_boot"] = True
        walk.take(
            f"{DOMAIN}.firmware.bootloader.efi.secureBoot",
            "firmware.secure_boot",
            FieldStatus.WARNED,
            "EFI without secureBoot means secure boot on (kubevirt v1.9.0 "
            "pkg/virt-launcher/virtwrap/manager.go: "
            "SecureBoot nil is true on amd64; pkg/defaults/arm64.go sets false on arm64); written explicitly "
            "because our default is off",
        )
    if efi.get("persistent"):
        fw["persistent_efi"] = True
    out["firmware"] = fw
    if fw["secure_boot"] and walk.get(f"{DOMAIN}.features.smm.enabled") is True:
        walk.take(
            f"{DOMAIN}.features.smm", "firmware.secure_boot", FieldStatus.MAPPED, "secure boot needs SMM"
        )


def _volume_kind(volume: Mapping[str, Any]) -> str:
    kinds = [k for k in volume if k != "name"]
    return kinds[0] if len(kinds) == 1 else ""


def _storage(state: _Import, walk: Walk, out: dict[str, Any], namespace: str, vm: str) -> None:
    devices = {d.get("name"): d for d in walk.get(f"{DEVICES}.disks") or [] if isinstance(d, Mapping)}
    volumes = {v.get("name"): v for v in walk.get(f"{T}.volumes") or [] if isinstance(v, Mapping)}
    attachments: list[Any] = []
    containers: list[Any] = []
    cdroms: list[Any] = []
    for device_name, device in devices.items():
        volume = volumes.get(device_name)
        if volume is None or not isinstance(device_name, str):
            continue
        dev_path = f"{DEVICES}.disks[name={device_name}]"
        vol_path = f"{T}.volumes[name={device_name}]"
        kind = _volume_kind(volume)
        target_kind = (
            "disk" if "disk" in device else "lun" if "lun" in device else "cdrom" if "cdrom" in device else ""
        )
        if kind in ("dataVolume", "persistentVolumeClaim") and target_kind in ("disk", "lun"):
            claim = volume[kind].get("name" if kind == "dataVolume" else "claimName")
            known = state.find("DataVolume", namespace, claim) or state.find(
                "PersistentVolumeClaim", namespace, claim
            )
            if known is None and claim not in _template_names(walk):
                continue  # not among the sources: stays in the patch, outside the stack
            entry = _attachment(
                walk,
                device,
                volume,
                at=(dev_path, vol_path),
                kind=kind,
                claim=claim,
                target_kind=target_kind,
                index=len(attachments),
            )
            attachments.append(entry)
        elif kind == "containerDisk" and target_kind == "disk":
            containers.append(_container_disk(walk, device, volume, (dev_path, vol_path), len(containers)))
        elif kind in ("cloudInitNoCloud", "cloudInitConfigDrive") and target_kind == "disk":
            _cloud_init(state, walk, out, (device, volume), at=(dev_path, vol_path), kind=kind, vm=vm)
        elif kind == "sysprep" and target_kind == "cdrom":
            _sysprep(walk, out, (device, volume), (dev_path, vol_path))
        elif (
            kind == "dataVolume"
            and target_kind == "cdrom"
            and state.find("DataVolume", namespace, volume["dataVolume"].get("name"))
        ):
            where = f"cdroms[{len(cdroms)}]"
            entry = {"name": device_name, "disk": volume["dataVolume"]["name"]}
            walk.take(f"{dev_path}.name", f"{where}.name")
            walk.take(f"{vol_path}.dataVolume.name", f"{where}.disk")
            walk.taken.append(vol_path)
            if "bus" in (device.get("cdrom") or {}):
                entry["bus"] = walk.take(f"{dev_path}.cdrom.bus", f"{where}.bus")
            if "bootOrder" in device:
                entry["boot_order"] = walk.take(f"{dev_path}.bootOrder", f"{where}.boot_order")
            if walk.get(f"{dev_path}.cdrom") == {}:
                walk.take(f"{dev_path}.cdrom", f"{where}")
            cdroms.append(entry)
    if attachments:
        out["disks"] = attachments
    if containers:
        out["container_disks"] = containers
    if cdroms:
        out["cdroms"] = cdroms
    if walk.has(f"{DEVICES}.tpm"):
        tpm = walk.get(f"{DEVICES}.tpm") or {}
        out["tpm"] = {"persistent": True} if tpm.get("persistent") else True
        walk.take(f"{DEVICES}.tpm", "tpm")


def _template_names(walk: Walk) -> set[str]:
    return {
        str((t.get("metadata") or {}).get("name"))
        for t in walk.get("spec.dataVolumeTemplates") or []
        if isinstance(t, Mapping)
    }


def _attachment(
    walk: Walk,
    device: Mapping[str, Any],
    volume: Mapping[str, Any],
    *,
    at: tuple[str, str],
    kind: str,
    claim: str,
    target_kind: str,
    index: int,
) -> dict[str, Any]:
    dev_path, vol_path = at
    where = f"disks[{index}]"
    entry: dict[str, Any] = {"disk": claim}
    name = device["name"]
    if name != claim:
        entry["name"] = name
        walk.take(f"{dev_path}.name", f"{where}.name", FieldStatus.MAPPED, "device name kept")
    walk.take(f"{vol_path}.{kind}.{'name' if kind == 'dataVolume' else 'claimName'}", f"{where}.disk")
    entry["kind"] = "datavolume" if kind == "dataVolume" else "pvc"
    target = device.get(target_kind) or {}
    if target_kind == "lun":
        entry["lun"] = True
    if "bus" in target:
        entry["bus"] = walk.take(f"{dev_path}.{target_kind}.bus", f"{where}.bus")
    elif target_kind == "disk":
        walk.take(
            f"{dev_path}.disk", f"{where}.bus", FieldStatus.MAPPED, "no bus means virtio, our default too"
        )
    if target.get("readonly"):
        entry["read_only"] = walk.take(f"{dev_path}.{target_kind}.readonly", f"{where}.read_only")
    if target_kind == "lun" and set(target) <= {"bus", "readonly"}:
        walk.take(f"{dev_path}.lun", f"{where}.lun")
    for camel, snake in (("bootOrder", "boot_order"), ("cache", "cache")):
        if camel in device:
            entry[snake] = walk.take(f"{dev_path}.{camel}", f"{where}.{snake}")
    source = volume.get(kind) or {}
    if source.get("hotpluggable"):
        entry["hotpluggable"] = walk.take(f"{vol_path}.{kind}.hotpluggable", f"{where}.hotpluggable")
    if kind == "persistentVolumeClaim" and source.get("readOnly") and entry.get("read_only"):
        walk.take(f"{vol_path}.{kind}.readOnly", f"{where}.read_only")
    walk.take(f"{vol_path}.name", f"{where}.name" if name != claim else f"{where}.disk")
    walk.take(f"{dev_path}.name", f"{where}.disk") if name == claim else None
    return entry


def _container_disk(
    walk: Walk, device: Mapping[str, Any], volume: Mapping[str, Any], at: tuple[str, str], index: int
) -> dict[str, Any]:
    dev_path, vol_path = at
    where = f"container_disks[{index}]"
    source = volume["containerDisk"] or {}
    entry: dict[str, Any] = {"name": device["name"], "image": source.get("image")}
    walk.take(f"{dev_path}.name", f"{where}.name")
    walk.take(f"{vol_path}.name", f"{where}.name")
    walk.take(f"{vol_path}.containerDisk.image", f"{where}.image")
    for camel, snake in (("imagePullPolicy", "image_pull_policy"), ("path", "path")):
        if camel in source:
            entry[snake] = walk.take(f"{vol_path}.containerDisk.{camel}", f"{where}.{snake}")
    disk = device.get("disk") or {}
    if "bus" in disk:
        entry["bus"] = walk.take(f"{dev_path}.disk.bus", f"{where}.bus")
    elif not disk:
        walk.take(
            f"{dev_path}.disk", f"{where}.bus", FieldStatus.MAPPED, "no bus means virtio, our default too"
        )
    if "bootOrder" in device:
        entry["boot_order"] = walk.take(f"{dev_path}.bootOrder", f"{where}.boot_order")
    return entry


def _cloud_init(
    state: _Import,
    walk: Walk,
    out: dict[str, Any],
    pair: tuple[Mapping[str, Any], Mapping[str, Any]],
    *,
    at: tuple[str, str],
    kind: str,
    vm: str,
) -> None:
    device, volume = pair
    dev_path, vol_path = at
    source = volume[kind] or {}
    ci: dict[str, Any] = {}
    if kind == "cloudInitConfigDrive":
        ci["kind"] = "configdrive"
    inline = {
        "userData": ("user_data", "cloudInitUserData_{vm}"),
        "userDataBase64": ("user_data", "cloudInitUserData_{vm}"),
        "networkData": ("network_data", "cloudInitNetworkData_{vm}"),
        "networkDataBase64": ("network_data", "cloudInitNetworkData_{vm}"),
    }
    secret_ref = (source.get("secretRef") or {}).get("name")
    for key, (snake, config_key) in inline.items():
        if key in source:
            full = "kubevirt:" + config_key.format(vm=vm)
            walk.take(
                f"{vol_path}.{kind}.{key}",
                full,
                FieldStatus.RENAMED,
                "cloud-init data is never written into the stack file: set it with "
                f"`pulumi config set --secret "
                f"{config_key.format(vm=vm)}` (the fleet program stores it in Secret {vm}-cloudinit)",
            )
            state.secrets.append(SecretReference(config_key.format(vm=vm), f"cloud-init {snake} of VM {vm}"))
            ref = "secretRef" if snake == "user_data" else "networkDataSecretRef"
            walk.take(
                f"{vol_path}.{kind}.{ref}",
                "cloud_init",
                FieldStatus.RENAMED,
                f"the inline data moves to Secret {vm}-cloudinit, which the VM references here",
            )
    if secret_ref is not None:
        if any(k in source for k in inline):
            return
        ci["secret_name"] = secret_ref
        walk.take(
            f"{vol_path}.{kind}.secretRef",
            "cloud_init.secret_name",
            FieldStatus.MAPPED,
            "the existing Secret is referenced by name; its values are never copied",
        )
        network_ref = (source.get("networkDataSecretRef") or {}).get("name")
        if network_ref == secret_ref:
            walk.take(f"{vol_path}.{kind}.networkDataSecretRef", "cloud_init.secret_name")
    if device["name"] != "cloudinit":
        ci["device"] = device["name"]
    walk.take(f"{dev_path}.name", "cloud_init.device")
    walk.take(f"{vol_path}.name", "cloud_init.device")
    if (device.get("disk") or {}).get("bus", "virtio") == "virtio" and set(device) <= {"name", "disk"}:
        walk.take(f"{dev_path}.disk", "cloud_init", FieldStatus.MAPPED, "a virtio disk, as we compile it")
    out["cloud_init"] = ci


def _sysprep(
    walk: Walk,
    out: dict[str, Any],
    pair: tuple[Mapping[str, Any], Mapping[str, Any]],
    at: tuple[str, str],
) -> None:
    device, volume = pair
    dev_path, vol_path = at
    source = volume["sysprep"] or {}
    if "secret" in source:
        entry = {"name": source["secret"].get("name"), "source_kind": "secret"}
        walk.take(f"{vol_path}.sysprep.secret.name", "sysprep.name")
    elif "configMap" in source:
        entry = {"name": source["configMap"].get("name"), "source_kind": "config-map"}
        walk.take(f"{vol_path}.sysprep.configMap.name", "sysprep.name")
    else:
        return
    if device["name"] != "sysprep":
        entry["device"] = device["name"]
    walk.take(f"{dev_path}.name", "sysprep.device")
    walk.take(f"{vol_path}.name", "sysprep.device")
    bus = (device.get("cdrom") or {}).get("bus")
    if bus is not None:
        entry["bus"] = walk.take(f"{dev_path}.cdrom.bus", "sysprep.bus")
    out["sysprep"] = entry


def _nics(state: _Import, walk: Walk, out: dict[str, Any], namespace: str) -> None:
    interfaces = [i for i in walk.get(f"{DEVICES}.interfaces") or [] if isinstance(i, Mapping)]
    networks = {n.get("name"): n for n in walk.get(f"{T}.networks") or [] if isinstance(n, Mapping)}
    if not interfaces and not networks:
        if walk.get(f"{DEVICES}.autoattachPodInterface") is False:
            out["nics"] = []
            walk.take(f"{DEVICES}.autoattachPodInterface", "nics", FieldStatus.MAPPED, "no NICs at all")
            return
        for path in (f"{DEVICES}.interfaces", f"{T}.networks"):
            walk.take(
                path,
                "nics",
                FieldStatus.WARNED,
                "the source has no interfaces, so KubeVirt attaches the cluster's default pod interface: "
                "bridge unless the KubeVirt CR sets network.defaultNetworkInterface (kubevirt v1.9.0 "
                "pkg/network/vmispec/defaults.go SetDefaultNetworkInterface, pkg/virt-config/virt-config.go "
                "DefaultNetworkInterface). pulumi-kubevirt writes its default NIC, masquerade on the pod "
                "network: check the cluster's setting",
            )
        return
    nics: list[dict[str, Any]] = []
    all_typed = True
    for interface in interfaces:
        name = interface.get("name")
        network = networks.get(name) or {}
        bindings = [b for b in _BINDINGS if b in interface]
        net_kind = [k for k in network if k != "name"]
        target: str | None = None
        ok = len(bindings) == 1 and interface[bindings[0]] == {} and net_kind in (["pod"], ["multus"])
        if ok and net_kind == ["multus"]:
            multus = network["multus"] or {}
            ref = str(multus.get("networkName", ""))
            ns, _, nad = ref.rpartition("/")
            ok = (ns in ("", namespace)) and state.find(
                "NetworkAttachmentDefinition", namespace, nad
            ) is not None
            ok = ok and set(multus) == {"networkName"}
            target = nad
        if ok and net_kind == ["pod"] and network["pod"] != {}:
            ok = False
        if not ok:
            all_typed = False
            continue
        where = f"nics[{len(nics)}]"
        entry: dict[str, Any] = {"name": name}
        if target is not None:
            entry["network"] = target
        if bindings[0] != "masquerade":
            entry["binding"] = bindings[0]
        ipath = f"{DEVICES}.interfaces[name={name}]"
        npath = f"{T}.networks[name={name}]"
        walk.take(f"{ipath}.{bindings[0]}", f"{where}.binding")
        walk.take(npath, f"{where}.network")
        walk.take(f"{ipath}", f"{where}.name") if set(interface) == {"name", bindings[0]} else None
        for camel, snake in (("model", "model"), ("macAddress", "mac_address")):
            if camel in interface:
                entry[snake] = walk.take(f"{ipath}.{camel}", f"{where}.{snake}")
        ports = interface.get("ports")
        if isinstance(ports, list) and all(isinstance(p, Mapping) and "port" in p for p in ports):
            entry["ports"] = [
                {
                    k: v
                    for k, v in (
                        ("port", p["port"]),
                        ("name", p.get("name")),
                        ("protocol", p.get("protocol")),
                    )
                    if v
                }
                for p in ports
            ]
            walk.take(f"{ipath}.ports", f"{where}.ports")
        nics.append(entry)
    # Interfaces we could not type stay in the patch; without "nics" the typed default NIC would merge into
    # a patched interface of the same name, so the typed list is always written (possibly empty).
    out["nics"] = nics
    if not all_typed and not nics:
        walk.records.append(
            FieldRecord(
                walk.source,
                f"{DEVICES}.autoattachPodInterface",
                FieldStatus.WARNED,
                f"{walk.target}.nics",
                "no interface has a typed form: nics is empty (autoattachPodInterface: false is written, "
                "which only matters without interfaces) and every interface is kept in the patch",
            )
        )


def _scheduling(walk: Walk, out: dict[str, Any]) -> None:
    for camel, snake in (
        ("evictionStrategy", "eviction_strategy"),
        ("hostname", "hostname"),
        ("nodeSelector", "node_selector"),
        ("affinity", "affinity"),
        ("tolerations", "tolerations"),
    ):
        if walk.has(f"{T}.{camel}"):
            out[snake] = walk.take(f"{T}.{camel}", snake)
    if "eviction_strategy" not in out:
        out["eviction_strategy"] = "None"
        walk.take(
            f"{T}.evictionStrategy",
            "eviction_strategy",
            FieldStatus.WARNED,
            "the source sets none, so the cluster-wide default applies (KubeVirt CR "
            "spec.configuration.evictionStrategy, None when unset: kubevirt v1.9.0 pkg/util/migrations/"
            "migrations.go VMIEvictionStrategy, pkg/virt-config/configuration.go); "
            "written as None because our default is LiveMigrateIfPossible. Check the cluster's setting",
        )


def _access_credentials(walk: Walk, out: dict[str, Any]) -> None:
    creds = walk.get(f"{T}.accessCredentials")
    if not isinstance(creds, list) or len(creds) != 1:
        return
    ssh = (creds[0] or {}).get("sshPublicKey") or {}
    secret = ((ssh.get("source") or {}).get("secret") or {}).get("secretName")
    method = ssh.get("propagationMethod") or {}
    if secret is None or len(method) != 1:
        return
    entry: dict[str, Any] = {"secret_name": secret}
    if "qemuGuestAgent" in method:
        entry["propagation"] = "guest-agent"
        entry["users"] = list((method["qemuGuestAgent"] or {}).get("users") or [])
    elif not ({"noCloud", "configDrive"} & set(method)):
        return
    out["ssh_keys"] = entry
    walk.take(
        f"{T}.accessCredentials", "ssh_keys", FieldStatus.MAPPED, "the existing Secret is referenced by name"
    )


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _service(state: _Import, walk: Walk, out: dict[str, Any], namespace: str, vm: str) -> None:
    labels = walk.get("spec.template.metadata.labels") or {}
    services = [
        o
        for o in state.objects
        if o.kind == "Service"
        and o.namespace(state.default_namespace) == namespace
        and _selects((o.obj.get("spec") or {}).get("selector") or {}, labels)
    ]
    for extra in services[1:]:
        state.records.append(
            FieldRecord(
                extra.source,
                "spec.selector",
                FieldStatus.WARNED,
                "",
                f"a second Service for VM {vm}: "
                "pulumi-kubevirt gives a VM one Service; this one stays outside the stack",
            )
        )
    if not services:
        return
    item = services[0]
    svc_walk = Walk(item.obj, item.source, f"fleet.vms.{vm}.service")
    _metadata_service(svc_walk, item, vm)
    spec = item.obj.get("spec") or {}
    entry: dict[str, Any] = {}
    if spec.get("type", "ClusterIP") != "ClusterIP":
        entry["type"] = svc_walk.take("spec.type", "type")
    elif "type" in spec:
        svc_walk.take("spec.type", "type", FieldStatus.MAPPED, "ClusterIP is our default")
    if item.name != vm:
        entry["name"] = item.name
    selector = dict(spec.get("selector") or {})
    if selector != {VM_LABEL_KEY: vm}:
        entry["selector"] = selector
    svc_walk.take("spec.selector", "selector")
    ports = []
    for index, port in enumerate(spec.get("ports") or []):
        where = f"ports[{index}]"
        base = f"spec.ports[name={port['name']}]" if "name" in port else f"spec.ports[{index}]"
        if "name" in port:
            name = port["name"]
        else:
            name = f"port-{port.get('port')}"
            svc_walk.take(
                f"{base}.port", f"{where}.name", FieldStatus.WARNED, f"the unnamed port is named {name}"
            )
        entry_port: dict[str, Any] = {"name": name, "port": svc_walk.take(f"{base}.port", f"{where}.port")}
        target = port.get("targetPort")
        if isinstance(target, int):
            if target != port.get("port"):
                entry_port["target_port"] = target
            svc_walk.take(f"{base}.targetPort", f"{where}.target_port")
        if "protocol" in port:
            if port["protocol"] != "TCP":
                entry_port["protocol"] = port["protocol"]
            svc_walk.take(f"{base}.protocol", f"{where}.protocol")
        if "nodePort" in port and entry.get("type") in ("NodePort", "LoadBalancer"):
            entry_port["node_port"] = svc_walk.take(f"{base}.nodePort", f"{where}.node_port")
        ports.append(entry_port)
    entry["ports"] = ports
    for key, default in (
        ("clusterIP", None),
        ("clusterIPs", None),
        ("ipFamilies", None),
        ("ipFamilyPolicy", "SingleStack"),
        ("sessionAffinity", "None"),
        ("internalTrafficPolicy", "Cluster"),
    ):
        if key in spec and (default is None or spec[key] == default):
            svc_walk.drop(f"spec.{key}", "assigned or defaulted by the API server")
    for path, _value in svc_walk.rest("spec"):
        svc_walk.take(path, "", FieldStatus.WARNED, "no typed Service field: not carried over")
    out["service"] = entry
    state.records += svc_walk.records


def _metadata_service(walk: Walk, item: SourceObject, vm: str) -> None:
    walk.take("metadata.name", "name", FieldStatus.MAPPED, f"the Service of VM {vm}")
    walk.take("metadata.namespace", "", FieldStatus.MAPPED, "the VM's namespace")
    for row in SERVER_METADATA:
        field = format_pattern(row.path)
        if row.path[0] == "metadata" and walk.has(field):
            walk.drop(field, f"{row.reason} ({row.source})")
    if walk.has("status"):
        walk.drop("status", "observed state")
    for section in ("labels", "annotations"):
        for key in sorted(walk.get(f"metadata.{section}") or {}):
            owner = foreign_owner(key)
            why = f"written by {owner.owner}" if owner else "a Service has no typed labels or annotations"
            walk.take(
                paths.join("metadata", section, key),
                "",
                FieldStatus.DROPPED if owner or key in OURS else FieldStatus.WARNED,
                why if key not in OURS else "written by pulumi-kubevirt itself",
            )


# --- Entry point ----------------------------------------------------------------------------------


def _owned_by_data_volume(item: SourceObject, state: _Import) -> bool:
    owners = (item.obj.get("metadata") or {}).get("ownerReferences") or []
    if any(o.get("kind") == "DataVolume" for o in owners if isinstance(o, Mapping)):
        return True
    namespace = item.namespace(state.default_namespace)
    return state.find("DataVolume", namespace, item.name) is not None


def _used_secrets(state: _Import) -> set[str]:
    names: set[str] = set()
    for vm in state.vms.values():
        for key in ("cloud_init", "ssh_keys"):
            secret = (vm.get(key) or {}).get("secret_name")
            if secret:
                names.add(secret)
    return names


def import_objects(objects: Sequence[SourceObject], *, default_namespace: str, adopt: bool) -> ImportResult:
    """Fleet config for ``objects``; everything not imported is reported with the reason."""
    state = _Import(objects, default_namespace, adopt)
    for item in objects:
        if item.kind == "NetworkAttachmentDefinition":
            _import_network(state, item)
    for item in objects:
        if item.kind == "DataVolume" or (
            item.kind == "PersistentVolumeClaim" and not _owned_by_data_volume(item, state)
        ):
            _import_disk(state, item)
        elif item.kind == "PersistentVolumeClaim":
            state.records.append(
                FieldRecord(
                    item.source,
                    f"PersistentVolumeClaim {item.name}",
                    FieldStatus.DROPPED,
                    f"fleet.disks.{item.name}",
                    "created by its DataVolume, imported as that Disk",
                )
            )
    for item in objects:
        if item.kind == "VirtualMachine":
            if item.name in state.vms:
                first = next(o.source for o in objects if o.kind == "VirtualMachine" and o.name == item.name)
                state.problems.append(
                    Problem(
                        f"fleet.vms.{item.name}",
                        f"the name is used twice (in {first} and in {item.source})",
                        "import them into separate stacks or rename one in its source",
                    )
                )
                continue
            _import_vm(state, item)
    used = _used_secrets(state)
    for item in objects:
        if item.kind == "Secret":
            why = (
                "referenced by name from the VM; its values are never copied into the stack"
                if item.name in used
                else "not used by an imported VM; secrets are never copied"
            )
            state.records.append(
                FieldRecord(item.source, f"Secret {item.name}", FieldStatus.DROPPED, "", why)
            )
        elif item.kind not in IMPORTED_KINDS:
            state.records.append(
                FieldRecord(
                    item.source,
                    f"{item.kind or '(no kind)'} {item.name}",
                    FieldStatus.DROPPED,
                    "",
                    "pulumi-kubevirt does not manage this kind; it is not imported",
                )
            )
    fleet: dict[str, Any] = {}
    for key, section in (("networks", state.networks), ("disks", state.disks), ("vms", state.vms)):
        if section:
            fleet[key] = {name: section[name] for name in sorted(section)}
    return ImportResult(
        fleet=fleet,
        records=tuple(sorted(set(state.records))),
        secrets=tuple(sorted(set(state.secrets), key=lambda s: s.config_key)),
        problems=tuple(state.problems),
    )
