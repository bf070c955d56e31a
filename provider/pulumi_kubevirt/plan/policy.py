"""The policy table: which impact a field change has on a running workload, why, and where upstream says so.

Rows are data (kind, path glob, impact or a named rule function, reason, source), first match wins, most
specific rows first. Conditional rows name a function in ``RULE_FUNCTIONS`` that reads cluster and VM facts.
Cross-cutting facts (a halted VM, the ``Stage`` rollout, a pending restart) apply after the row, in
``classify``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import QuantityError, parse_quantity
from pulumi_kubevirt.plan.diff import Diff
from pulumi_kubevirt.plan.model import ChangeOp, Impact
from pulumi_kubevirt.plan.normalise import glob_to_regex
from pulumi_kubevirt.plan.observed import ClusterFacts, RolloutStrategy, VmFacts

VM = "VirtualMachine"
DV = "DataVolume"
PVC = "PersistentVolumeClaim"
SECRET = "Secret"
SERVICE = "Service"
NAD = "NetworkAttachmentDefinition"
ANY = "*"

VMRO_SOURCE = (
    "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go syncRestartRequired; "
    "user-guide vm_rollout_strategies"
)
CDI_MULTI_STAGE_SOURCE = (
    "kubevirt/containerized-data-importer v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go Admit "
    '("Always admit checkpoint updates for multi-stage migrations": vddk and imageio sources only)'
)
HALTED_NOTE = "halted: takes effect at next start"
PENDING_NOTE = (
    "restart already pending (RestartRequired): KubeVirt propagates nothing more until the VM restarts"
)


class Scope(enum.StrEnum):
    """Where a row applies, for the cross-cutting VM facts."""

    OBJECT = "object"
    TEMPLATE_SPEC = "template-spec"
    TEMPLATE_METADATA = "template-metadata"


class SecretUse(enum.StrEnum):
    """What a Secret is for, learned from the desired VMs that reference it."""

    CLOUD_INIT = "cloud-init"
    ACCESS_CREDENTIALS = "access-credentials"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A rule's decision for one change; ``error``/``fix`` set when the API server would reject it."""

    impact: Impact
    reason: str
    note: str = ""
    error: str = ""
    fix: str = ""
    replaces: bool = False


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a conditional rule may read about the object being changed."""

    kind: str
    cluster: ClusterFacts
    vm: VmFacts | None = None
    desired: Mapping[str, Any] = field(default_factory=dict)
    live: Mapping[str, Any] = field(default_factory=dict)
    storage_class: str = ""
    secret_use: SecretUse = SecretUse.OTHER


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One row: ``impact`` for static rows, ``rule`` (a ``RULE_FUNCTIONS`` name) for conditional ones."""

    id: str
    kind: str
    pattern: str
    reason: str
    source: str
    impact: Impact | None = None
    rule: str = ""
    scope: Scope = Scope.OBJECT
    replaces: bool = False


_TEMPLATE = "spec.template.spec"
POLICY: tuple[PolicyRule, ...] = (
    # VirtualMachine
    PolicyRule(
        "vm-run-strategy",
        VM,
        "spec.runStrategy",
        "starts or stops the VM",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go syncRunStrategy",
        rule="run_strategy",
    ),
    PolicyRule(
        "vm-running",
        VM,
        "spec.running",
        "deprecated start/stop switch",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go syncRunStrategy",
        rule="run_strategy",
    ),
    PolicyRule(
        "vm-cpu-sockets",
        VM,
        f"{_TEMPLATE}.domain.cpu.sockets",
        "vCPU sockets are hot-pluggable upwards under LiveUpdate, through a live migration",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go syncRestartRequired; user-guide cpu_hotplug",
        rule="cpu_sockets",
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-memory-guest",
        VM,
        f"{_TEMPLATE}.domain.memory.guest",
        "guest memory is hot-pluggable upwards under LiveUpdate, through a live migration",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go syncRestartRequired; user-guide memory_hotplug",
        rule="memory_guest",
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-cpu-other",
        VM,
        f"{_TEMPLATE}.domain.cpu",
        "cores, threads, model and limits are not hot-pluggable: only sockets are",
        VMRO_SOURCE,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    *(
        PolicyRule(
            "vm-scheduling",
            VM,
            f"{_TEMPLATE}.{name}",
            "LiveUpdate copies scheduling constraints to the VMI; the guest keeps its node until it migrates",
            "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go (live update of affinity, nodeSelector, "
            "tolerations); user-guide vm_rollout_strategies",
            rule="live_update_field",
            scope=Scope.TEMPLATE_SPEC,
        )
        for name in ("nodeSelector", "affinity", "tolerations")
    ),
    PolicyRule(
        "vm-disk-hotplug",
        VM,
        f"{_TEMPLATE}.domain.devices.disks[*]",
        "hot-pluggable volumes and their disks are attached and detached live; other disks restart",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go; user-guide hotplug_volumes",
        rule="volume_hotplug",
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-volume-hotplug",
        VM,
        f"{_TEMPLATE}.volumes[*]",
        "hot-pluggable volumes are attached and detached live; other volumes (cloud-init too) restart",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go; user-guide hotplug_volumes",
        rule="volume_hotplug",
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-interface-hotplug",
        VM,
        f"{_TEMPLATE}.domain.devices.interfaces[*]",
        "bridge and SR-IOV interfaces are hot-plugged through a migration, unplugged with state: absent",
        "kubevirt/kubevirt pkg/network/vmliveupdate/restart.go; user-guide network hotplug",
        rule="interface_hotplug",
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-network-hotplug",
        VM,
        f"{_TEMPLATE}.networks[*]",
        "Multus networks follow their interface; a new networkName is applied through a migration",
        "kubevirt/kubevirt pkg/network/vmliveupdate/restart.go; user-guide network hotplug",
        rule="network_hotplug",
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-template-spec",
        VM,
        _TEMPLATE,
        "not live-updatable: the VM needs a restart (unknown template fields default here)",
        VMRO_SOURCE,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-template-metadata",
        VM,
        "spec.template.metadata",
        "template labels and annotations reach the VMI only when it is created again, after a restart "
        "(a Service selecting them matches only then)",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go (VMI created from the template)",
        impact=Impact.NO_EFFECT,
        scope=Scope.TEMPLATE_METADATA,
    ),
    PolicyRule(
        "vm-data-volume-templates",
        VM,
        "spec.dataVolumeTemplates",
        "KubeVirt only creates missing DataVolumes from templates; editing an entry changes nothing",
        "kubevirt/kubevirt pkg/virt-controller/watch/vm/vm.go handleDataVolumes",
        impact=Impact.NO_EFFECT,
    ),
    PolicyRule(
        "vm-template-other",
        VM,
        "spec.template",
        "unknown template field: assumed to need a restart",
        VMRO_SOURCE,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-spec-other",
        VM,
        "spec",
        "instancetype, preference and other VM fields: the guest is re-expanded only at restart",
        VMRO_SOURCE,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    # Disks: DataVolume and PersistentVolumeClaim
    PolicyRule(
        "datavolume-size",
        DV,
        "spec.storage.resources.requests.storage",
        "CDI rejects DataVolume spec updates, so the Disk component replaces the DataVolume; growing the PVC "
        "in place is not implemented yet",
        "kubevirt/containerized-data-importer pkg/apiserver/webhooks/datavolume-validate.go; "
        "pulumi_kubevirt/components.py IMMUTABLE_FIELDS",
        rule="datavolume_size",
    ),
    PolicyRule(
        "datavolume-size",
        DV,
        "spec.pvc.resources.requests.storage",
        "CDI rejects DataVolume spec updates, so the Disk component replaces the DataVolume; growing the PVC "
        "in place is not implemented yet",
        "kubevirt/containerized-data-importer pkg/apiserver/webhooks/datavolume-validate.go; "
        "pulumi_kubevirt/components.py IMMUTABLE_FIELDS",
        rule="datavolume_size",
    ),
    # Warm migration (VMware import): the one DataVolume spec update CDI admits. See WARM MIGRATION below.
    PolicyRule(
        "datavolume-checkpoints",
        DV,
        "spec.checkpoints",
        "a multi-stage (warm) import copies each appended checkpoint into the same disk",
        CDI_MULTI_STAGE_SOURCE,
        rule="datavolume_checkpoints",
    ),
    PolicyRule(
        "datavolume-final-checkpoint",
        DV,
        "spec.finalCheckpoint",
        "the cutover: the last checkpoint is copied from the stopped source VM",
        CDI_MULTI_STAGE_SOURCE,
        rule="datavolume_final_checkpoint",
    ),
    PolicyRule(
        "datavolume-spec-immutable",
        DV,
        "spec",
        "CDI rejects any update of a DataVolume's spec: the disk is deleted and created again, empty or "
        "re-imported",
        "kubevirt/containerized-data-importer pkg/apiserver/webhooks/datavolume-validate.go "
        '"Cannot update DataVolume Spec"',
        impact=Impact.DESTROYS_DATA,
        replaces=True,
    ),
    PolicyRule(
        "disk-size",
        PVC,
        "spec.resources.requests.storage",
        "a PVC grows in place when its storage class allows expansion",
        "kubernetes pkg/apis/core/validation ValidatePersistentVolumeClaimUpdate",
        rule="disk_size",
    ),
    PolicyRule(
        "pvc-spec-immutable",
        PVC,
        "spec",
        "a PVC's spec is immutable except growing its storage request: the claim and its data are replaced",
        "kubernetes pkg/apis/core/validation ValidatePersistentVolumeClaimUpdate",
        impact=Impact.DESTROYS_DATA,
        replaces=True,
    ),
    # Secrets
    PolicyRule(
        "secret-type-immutable",
        SECRET,
        "type",
        "a Secret's type is immutable: the Secret is replaced",
        "kubernetes pkg/apis/core/validation ValidateSecretUpdate",
        impact=Impact.REPLACE,
        replaces=True,
    ),
    PolicyRule(
        "secret-data",
        SECRET,
        "data",
        "what a changed value does depends on who reads the Secret",
        "cloud-init docs (instance-id, first boot); kubevirt user-guide accessCredentials",
        rule="secret_data",
    ),
    # Services
    *(
        PolicyRule(
            "service-immutable",
            SERVICE,
            f"spec.{name}",
            "the cluster IP of a Service cannot be changed: the Service is replaced",
            "kubernetes pkg/apis/core/validation ValidateServiceUpdate",
            impact=Impact.REPLACE,
            replaces=True,
        )
        for name in ("clusterIP", "clusterIPs")
    ),
    PolicyRule(
        "service-spec",
        SERVICE,
        "spec",
        "kube-proxy and endpoints follow a Service spec change at once",
        "kubernetes docs: Service",
        impact=Impact.LIVE,
    ),
    # Networks
    PolicyRule(
        "nad-config",
        NAD,
        "spec.config",
        "Multus reads the attachment when a VM's pod is created: running VMs keep the old config until their "
        "next start or migration",
        "k8snetworkplumbingwg/multus-cni docs/how-to-use.md; network-attachment-definition spec v1.2",
        impact=Impact.NO_EFFECT,
    ),
    # Every kind
    PolicyRule(
        "object-metadata",
        ANY,
        "metadata",
        "labels and annotations of the object itself; the guest never sees them",
        "k8s API conventions: metadata",
        impact=Impact.NONE,
    ),
    *(
        PolicyRule(
            "storage-unknown",
            kind,
            "**",
            "a storage field without a policy row: assumed to recreate the disk",
            "DESIGN.md section 10 (unknown storage changes default to destroys-data)",
            impact=Impact.DESTROYS_DATA,
            replaces=True,
        )
        for kind in (DV, PVC)
    ),
    PolicyRule(
        "unknown-field",
        ANY,
        "**",
        "a field without a policy row: assumed applied in place",
        "DESIGN.md section 10 (policy defaults)",
        impact=Impact.LIVE,
    ),
)

_COMPILED: tuple[tuple[PolicyRule, re.Pattern[str]], ...] = tuple(
    (r, glob_to_regex(r.pattern)) for r in POLICY
)


@dataclass(frozen=True, slots=True)
class SensitivePath:
    """A field whose values are secret: plans and drift show only that it changed."""

    kind: str
    pattern: str
    reason: str


SENSITIVE_PATHS: tuple[SensitivePath, ...] = (
    SensitivePath(SECRET, "data", "Secret values"),
    SensitivePath(SECRET, "stringData", "Secret values"),
    SensitivePath(VM, f"{_TEMPLATE}.volumes[*].cloudInitNoCloud.userData", "inline cloud-init user data"),
    SensitivePath(
        VM, f"{_TEMPLATE}.volumes[*].cloudInitNoCloud.userDataBase64", "inline cloud-init user data"
    ),
    SensitivePath(
        VM, f"{_TEMPLATE}.volumes[*].cloudInitNoCloud.networkData", "inline cloud-init network data"
    ),
    SensitivePath(VM, f"{_TEMPLATE}.volumes[*].cloudInitConfigDrive.userData", "inline cloud-init user data"),
    SensitivePath(
        VM, f"{_TEMPLATE}.volumes[*].cloudInitConfigDrive.userDataBase64", "inline cloud-init user data"
    ),
    SensitivePath(VM, f"{_TEMPLATE}.volumes[*].cloudInitConfigDrive.networkData", "inline cloud-init data"),
)
_SENSITIVE = tuple((s, glob_to_regex(s.pattern)) for s in SENSITIVE_PATHS)
_CLOUD_INIT_KEYS = ("cloudInitNoCloud", "cloudInitConfigDrive")


def is_sensitive(kind: str, path: str, value: Any = None) -> bool:
    """True when the path is a secret value, or a whole subtree (a volume) that contains one."""
    if any(s.kind == kind and regex.match(path) for s, regex in _SENSITIVE):
        return True
    if kind == VM and isinstance(value, Mapping):
        return any(key in value for key in _CLOUD_INIT_KEYS) or any(
            isinstance(v, Mapping) and any(key in v for key in _CLOUD_INIT_KEYS) for v in value.values()
        )
    return kind == SECRET and path == ""


def match_rule(kind: str, path: str) -> PolicyRule:
    """The first row for ``kind`` (or any kind) whose pattern covers ``path``."""
    for row, regex in _COMPILED:
        if row.kind in (kind, ANY) and regex.match(path):
            return row
    return POLICY[-1]


def classify(change: Diff, ctx: RuleContext) -> tuple[PolicyRule, Verdict]:
    """The row that covers a change and its verdict, after the VM's run state and the rollout strategy."""
    row = match_rule(ctx.kind, change.path)
    if row.rule:
        verdict = RULE_FUNCTIONS[row.rule](change, ctx)
    else:
        verdict = Verdict(row.impact or Impact.NONE, row.reason, replaces=row.replaces)
    vm = ctx.vm
    if row.scope is Scope.OBJECT or vm is None:
        return row, verdict
    if not vm.running:
        reason = "the VM is not running: the change applies when it next starts"
        return row, Verdict(Impact.NONE, reason, note=HALTED_NOTE, error=verdict.error, fix=verdict.fix)
    if row.scope is Scope.TEMPLATE_SPEC and ctx.cluster.rollout is RolloutStrategy.STAGE:
        reason = "Stage rollout: every template change of a running VM waits for a restart"
        return row, Verdict(Impact.RESTART, reason, error=verdict.error, fix=verdict.fix)
    if vm.restart_pending and Impact.NO_EFFECT < verdict.impact < Impact.RESTART:
        return row, Verdict(Impact.RESTART, verdict.reason, note=PENDING_NOTE)
    return row, verdict


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _qty(value: Any) -> Decimal | None:
    try:
        return parse_quantity(value) if value is not None else None
    except (QuantityError, TypeError):
        return None


def _needs_migration(ctx: RuleContext, what: str, reason: str) -> Verdict:
    """LIVE_MIGRATION when KubeVirt can migrate this VM, else RESTART saying why not."""
    if not ctx.cluster.live_migrate:
        return Verdict(
            Impact.RESTART,
            f"{what} needs a live migration, but LiveMigrate is not in workloadUpdateMethods",
        )
    if ctx.vm is not None and not ctx.vm.migratable:
        return Verdict(Impact.RESTART, f"{what} needs a live migration, but the VMI is not live-migratable")
    return Verdict(Impact.LIVE_MIGRATION, reason)


def rule_cpu_sockets(change: Diff, ctx: RuleContext) -> Verdict:
    before, after = _int(change.before), _int(change.after)
    if before is None or after is None or after < before:
        return Verdict(Impact.RESTART, "sockets can only be hot-plugged upwards: removing sockets restarts")
    limit = ctx.vm.max_sockets if ctx.vm else None
    if limit is None or after > limit:
        return Verdict(Impact.RESTART, f"beyond maxSockets {limit}: a restart is needed to raise the limit")
    return _needs_migration(
        ctx, "CPU hot-plug", f"within maxSockets {limit}: hot-plugged through a live migration"
    )


MIN_HOTPLUG_MEMORY = Decimal(2**30)


def rule_memory_guest(change: Diff, ctx: RuleContext) -> Verdict:
    before, after = _qty(change.before), _qty(change.after)
    if before is None or after is None or after < before:
        return Verdict(Impact.RESTART, "guest memory can only be hot-plugged upwards: shrinking restarts")
    if before < MIN_HOTPLUG_MEMORY:
        return Verdict(Impact.RESTART, "memory hot-plug needs at least 1Gi of guest memory to start from")
    limit = ctx.vm.max_guest if ctx.vm else None
    if limit is None or after > limit:
        return Verdict(Impact.RESTART, f"beyond maxGuest {_bytes(limit)}: a restart is needed to raise it")
    return _needs_migration(
        ctx, "memory hot-plug", f"within maxGuest {_bytes(limit)}: hot-plugged through a live migration"
    )


def _bytes(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    for suffix, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value % size == 0:
            return f"{int(value // size)}{suffix}"
    return str(value)


def rule_live_update_field(change: Diff, ctx: RuleContext) -> Verdict:
    del change, ctx
    return Verdict(
        Impact.LIVE, "LiveUpdate copies it to the VMI; the guest keeps its node until its next migration"
    )


def _named(path: str) -> str:
    match = re.search(r"\[name=(\"(?:[^\"\\]|\\.)*\"|[^\]]*)\]", path)
    return match.group(1).strip('"') if match else ""


def _template_list(obj: Mapping[str, Any], *keys: str) -> list[Any]:
    node: Any = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, list) else []


def _volume(ctx: RuleContext, name: str) -> Mapping[str, Any] | None:
    for source in (ctx.desired, ctx.live):
        for volume in _template_list(source, "volumes"):
            if isinstance(volume, Mapping) and volume.get("name") == name:
                return volume
    return None


def rule_volume_hotplug(change: Diff, ctx: RuleContext) -> Verdict:
    whole_item = change.op is not ChangeOp.CHANGE and change.path.endswith("]")
    volume = _volume(ctx, _named(change.path))
    hotpluggable = volume is not None and any(
        isinstance(volume.get(src), Mapping) and volume[src].get("hotpluggable") is True
        for src in ("dataVolume", "persistentVolumeClaim")
    )
    if whole_item and hotpluggable:
        verb = "attached" if change.op is ChangeOp.ADD else "detached"
        return Verdict(Impact.LIVE, f"hot-pluggable volume: {verb} to the running guest")
    if whole_item:
        return Verdict(Impact.RESTART, "not a hot-pluggable volume (hotpluggable: true is missing): restart")
    return Verdict(Impact.RESTART, "changing an attached disk or volume needs a restart")


def _interface(ctx: RuleContext, name: str, source: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for iface in _template_list(source, "domain", "devices", "interfaces"):
        if isinstance(iface, Mapping) and iface.get("name") == name:
            return iface
    return None


def rule_interface_hotplug(change: Diff, ctx: RuleContext) -> Verdict:
    name = _named(change.path)
    if change.op is ChangeOp.ADD and change.path.endswith("]"):
        iface = change.after if isinstance(change.after, Mapping) else {}
        if "bridge" in iface or "sriov" in iface:
            return _needs_migration(
                ctx, "NIC hot-plug", "bridge or SR-IOV interface hot-plugged via a migration"
            )
        return Verdict(Impact.RESTART, "only bridge and SR-IOV interfaces are hot-pluggable")
    if change.path.endswith(".state"):
        if change.after == "absent":
            return Verdict(Impact.LIVE, "state: absent unplugs the interface from the running guest")
        if change.after in ("up", "down") or change.before in ("up", "down"):
            return Verdict(Impact.LIVE, "link state is set on the running guest")
    if change.op is ChangeOp.REMOVE and change.path.endswith("]"):
        return Verdict(
            Impact.RESTART, f"removing interface {name} outright restarts; use state: absent to unplug"
        )
    return Verdict(Impact.RESTART, "changing an existing interface needs a restart")


def rule_network_hotplug(change: Diff, ctx: RuleContext) -> Verdict:
    name = _named(change.path)
    if change.path.endswith(".multus.networkName"):
        return _needs_migration(ctx, "a new networkName", "the VM moves to a pod attached to the new network")
    if change.op is ChangeOp.ADD and change.path.endswith("]"):
        iface = _interface(ctx, name, ctx.desired) or {}
        if "bridge" in iface or "sriov" in iface:
            return _needs_migration(
                ctx, "NIC hot-plug", "network of a hot-plugged interface, via a migration"
            )
    if change.op is ChangeOp.REMOVE and change.path.endswith("]"):
        iface = _interface(ctx, name, ctx.desired) or {}
        if iface.get("state") == "absent":
            return Verdict(Impact.LIVE, "the network of an unplugged interface")
    return Verdict(Impact.RESTART, "changing a network needs a restart")


_STARTS = ("Always", "RerunOnFailure", "Once")


def rule_run_strategy(change: Diff, ctx: RuleContext) -> Verdict:
    after = change.after
    if change.path.endswith("running"):
        after = "Always" if change.after is True else "Halted"
    running = ctx.vm.running if ctx.vm else False
    if after == "Halted" and running:
        return Verdict(
            Impact.RESTART, "stops the running guest; it stays down until started again", "stops the VM"
        )
    if after in _STARTS and not running:
        return Verdict(Impact.LIVE, "starts the VM", "starts the VM")
    return Verdict(Impact.LIVE, f"the controller now follows run strategy {after}")


def rule_disk_size(change: Diff, ctx: RuleContext) -> Verdict:
    before, after = _qty(change.before), _qty(change.after)
    if before is None or after is None:
        return Verdict(
            Impact.DESTROYS_DATA, "the size is not a quantity: the disk would be recreated", replaces=True
        )
    if after < before:
        return Verdict(
            Impact.NONE,
            "volumes can only grow",
            error=f"The disk cannot shrink from {change.before} to {change.after}: volumes only grow.",
            fix=f"Keep the size at {change.before} or more, or create a new disk (its data starts empty).",
        )
    klass = ctx.storage_class
    allowed = ctx.cluster.storage_expansion.get(klass)
    if allowed is False:
        return Verdict(
            Impact.NONE,
            f"storage class {klass} does not allow volume expansion",
            error=f"The disk cannot grow: storage class {klass} has no allowVolumeExpansion: true.",
            fix=f"Set allowVolumeExpansion: true on class {klass}, or keep the size at {change.before}.",
        )
    note = (
        "" if allowed else f"storage class {klass or '(default)'} not found: expansion could not be checked"
    )
    return Verdict(Impact.LIVE, "the PVC grows in place; grow the filesystem inside the guest", note)


def rule_datavolume_size(change: Diff, ctx: RuleContext) -> Verdict:
    """Shrinking or a class without expansion stay errors; a valid growth is what our apply path does with it.

    ``pulumi up`` replaces a DataVolume whose spec changes (``replace_on_changes: spec``), because CDI
    refuses the update, so growth recreates the disk. Saying ``live`` here would promise what the apply does
    not do; the reason tells the reader how to grow without losing data today.
    """
    verdict = rule_disk_size(change, ctx)
    if verdict.error or verdict.impact is not Impact.LIVE:
        return verdict
    return Verdict(
        Impact.DESTROYS_DATA,
        "CDI rejects DataVolume spec updates, so the DataVolume is recreated (in-place growth through "
        "the PVC is not implemented yet): to keep the data, grow the PVC of the same name with kubectl "
        "and leave this size unchanged",
        verdict.note,
        replaces=True,
    )


def rule_secret_data(change: Diff, ctx: RuleContext) -> Verdict:
    del change
    if ctx.secret_use is SecretUse.CLOUD_INIT:
        return Verdict(
            Impact.NO_EFFECT,
            "cloud-init reads user data on first boot only: it skips it unless the instance-id changes",
        )
    if ctx.secret_use is SecretUse.ACCESS_CREDENTIALS:
        return Verdict(Impact.LIVE, "access credentials are propagated to the guest by the guest agent")
    return Verdict(Impact.LIVE, "readers of the Secret see the new value")


# --- WARM MIGRATION (VMware import) -------------------------------------------------------------
# CDI's webhook compares old and new DataVolume specs with checkpoints and finalCheckpoint blanked out, when
# the new spec has checkpoints and a vddk or imageio source: only then is the update admitted in place.

MULTI_STAGE_SOURCES = ("vddk", "imageio")
CUTOVER_NOTE = "CUTOVER: downtime starts; the source VM must be powered off before this apply"


def _multi_stage(ctx: RuleContext) -> bool:
    source = (ctx.desired.get("spec") or {}).get("source") or {}
    return isinstance(source, Mapping) and any(kind in source for kind in MULTI_STAGE_SOURCES)


def _rejected_replaces(what: str) -> Verdict:
    return Verdict(
        Impact.DESTROYS_DATA,
        f"{what}: CDI admits checkpoint updates only on a vddk or imageio DataVolume that keeps at least one "
        "checkpoint, so the DataVolume is recreated and the copy starts over",
        replaces=True,
    )


def rule_datavolume_checkpoints(change: Diff, ctx: RuleContext) -> Verdict:
    before = list(change.before or [])
    after = list(change.after or [])
    if not _multi_stage(ctx) or not after:
        return _rejected_replaces("checkpoints changed")
    if len(after) > len(before) and after[: len(before)] == before:
        added = ", ".join(str(c.get("current")) for c in after[len(before) :] if isinstance(c, Mapping))
        return Verdict(
            Impact.LIVE,
            f"appends checkpoint {added}: CDI copies the blocks changed since the last one into the same "
            "disk, in place; the KubeVirt VM stays halted and the source VM keeps running",
        )
    return Verdict(
        Impact.NONE,
        "checkpoints already copied were changed or removed",
        error="Checkpoints CDI has copied cannot change: the disk already holds them.",
        fix="Keep the existing checkpoints as they are and only append new ones.",
    )


def rule_datavolume_final_checkpoint(change: Diff, ctx: RuleContext) -> Verdict:
    if not _multi_stage(ctx):
        return _rejected_replaces("finalCheckpoint changed")
    if change.after is True and not change.before:
        return Verdict(
            Impact.LIVE,
            "the cutover: CDI copies the last checkpoint, taken from the powered-off source VM, and finishes "
            "the import; the VM can start once it succeeds",
            CUTOVER_NOTE,
        )
    return Verdict(
        Impact.NONE,
        "a finished multi-stage import cannot be resumed",
        error="finalCheckpoint cannot go back to false: CDI has completed (or is completing) the import.",
        fix="Leave final_checkpoint: true; to copy again, import into a new disk.",
    )


RULE_FUNCTIONS: Mapping[str, Callable[[Diff, RuleContext], Verdict]] = {
    "cpu_sockets": rule_cpu_sockets,
    "memory_guest": rule_memory_guest,
    "live_update_field": rule_live_update_field,
    "volume_hotplug": rule_volume_hotplug,
    "interface_hotplug": rule_interface_hotplug,
    "network_hotplug": rule_network_hotplug,
    "run_strategy": rule_run_strategy,
    "disk_size": rule_disk_size,
    "datavolume_size": rule_datavolume_size,
    "secret_data": rule_secret_data,
    "datavolume_checkpoints": rule_datavolume_checkpoints,
    "datavolume_final_checkpoint": rule_datavolume_final_checkpoint,
}
