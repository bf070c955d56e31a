"""The policy: which impact a field change has on a running workload, read from the rows in
``facts.live_update``, plus the conditional rules those rows name and the cross-cutting VM facts.

Rows match on path segments (``facts.pattern``), first match wins. Conditional rows name a function in
``RULE_FUNCTIONS`` that reads cluster and VM facts. Cross-cutting facts apply after the row, in
``classify_all``: a halted VM, the ``Stage`` rollout, a restart already pending, and a restart that another
change of the same VM makes KubeVirt require (it then holds back every LiveUpdate handler).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.paths import Segment, format_path
from pulumi_kubevirt.core.quantity import QuantityError, parse_quantity
from pulumi_kubevirt.facts import kubevirt as kv
from pulumi_kubevirt.facts.disk_growth import EXPAND_DISKS, GUEST_SIZE
from pulumi_kubevirt.facts.immutable import MULTI_STAGE_SOURCES
from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.facts.kinds import DV, PVC, SECRET, VM
from pulumi_kubevirt.facts.live_update import (
    ANY_KIND,
    CLOUD_INIT_SOURCES,
    POLICY,
    SENSITIVE_PATHS,
    PolicyRule,
    Scope,
)
from pulumi_kubevirt.facts.mobility import POOL_UPDATE, PoolUpdate
from pulumi_kubevirt.facts.pattern import Keys, covers_keys, ends_with_item, keys_of, last_key, named
from pulumi_kubevirt.plan.diff import Diff
from pulumi_kubevirt.plan.model import ChangeOp, FieldChange
from pulumi_kubevirt.plan.observed import ClusterFacts, RolloutStrategy, VmFacts

__all__ = [
    "CUTOVER_NOTE",
    "DV",
    "HALTED_NOTE",
    "PENDING_NOTE",
    "POLICY",
    "PVC",
    "SECRET",
    "VM",
    "PolicyRule",
    "RuleContext",
    "Scope",
    "SecretUse",
    "Verdict",
    "classify",
    "classify_all",
    "is_sensitive",
    "match_rule",
]

Path = tuple[Segment, ...]

HALTED_NOTE = "halted: takes effect at next start"
PENDING_NOTE = (
    "restart already pending (RestartRequired): KubeVirt propagates nothing more until the VM restarts"
)
HELD_BACK_NOTE = (
    "another change of this VM needs a restart: KubeVirt sets RestartRequired and holds back the live "
    "updates until then"
)


class SecretUse(enum.StrEnum):
    """What a Secret is for, learned from the desired VMs that reference it."""

    CLOUD_INIT = "cloud-init"
    AGENT_CREDENTIALS = "agent-credentials"
    CLOUD_INIT_CREDENTIALS = "cloud-init-credentials"
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


@functools.lru_cache(maxsize=8192)
def _match(kind: str, keys: Keys) -> PolicyRule:
    """The first row for ``kind`` (or any kind) covering a path with these keys; paths repeat across VMs."""
    for row in POLICY:
        if row.kind in (kind, ANY_KIND) and covers_keys(row.pattern, keys):
            return row
    return POLICY[-1]


def match_rule(kind: str, path: Path) -> PolicyRule:
    """The first row for ``kind`` (or any kind) whose pattern covers ``path``."""
    return _match(kind, keys_of(path))


@functools.lru_cache(maxsize=8192)
def _sensitive_path(kind: str, keys: Keys) -> bool:
    return any(s.kind == kind and covers_keys(s.pattern, keys) for s in SENSITIVE_PATHS)


def is_sensitive(kind: str, path: Path, value: Any = None) -> bool:
    """True when the path is a secret value, or a whole subtree (a volume) that contains one."""
    if _sensitive_path(kind, keys_of(path)):
        return True
    if kind == VM and isinstance(value, Mapping):
        return any(key in value for key in CLOUD_INIT_SOURCES) or any(
            isinstance(v, Mapping) and any(key in v for key in CLOUD_INIT_SOURCES) for v in value.values()
        )
    return kind == SECRET and not path


def _verdict(row: PolicyRule, change: Diff, ctx: RuleContext) -> Verdict:
    if row.rule:
        return RULE_FUNCTIONS[row.rule](change, ctx)
    return Verdict(row.impact or Impact.NONE, row.reason, replaces=row.replaces)


def classify(change: Diff, ctx: RuleContext) -> tuple[PolicyRule, Verdict]:
    """The row that covers one change and its verdict, after the VM's run state and the rollout strategy."""
    return classify_all((change,), ctx)[0]


def classify_all(changes: Sequence[Diff], ctx: RuleContext) -> list[tuple[PolicyRule, Verdict]]:
    """Every change of one object classified, then the cross-cutting VM facts applied to each."""
    raw = [
        (row, _verdict(row, change, ctx))
        for change in changes
        for row in (match_rule(ctx.kind, change.path),)
    ]
    vm = ctx.vm
    if vm is None:
        return raw
    restart_required = any(
        row.scope in (Scope.TEMPLATE_SPEC, Scope.SYNCED) and verdict.impact is Impact.RESTART
        for row, verdict in raw
    )
    return [(row, _cross_cutting(row, verdict, ctx, vm, restart_required)) for row, verdict in raw]


def _cross_cutting(
    row: PolicyRule, verdict: Verdict, ctx: RuleContext, vm: VmFacts, restart_required: bool
) -> Verdict:
    if row.scope is Scope.OBJECT:
        return verdict
    if not vm.running:
        reason = "the VM is not running: the change applies when it next starts"
        return Verdict(Impact.NONE, reason, note=HALTED_NOTE, error=verdict.error, fix=verdict.fix)
    if row.scope is not Scope.LIVE_UPDATE or not Impact.NO_EFFECT < verdict.impact < Impact.RESTART:
        return verdict
    if ctx.cluster.rollout is RolloutStrategy.STAGE:
        reason = "Stage rollout: KubeVirt applies it only at the next restart (it sets RestartRequired)"
        return Verdict(Impact.RESTART, reason, error=verdict.error, fix=verdict.fix)
    if vm.restart_pending:
        return Verdict(Impact.RESTART, verdict.reason, note=PENDING_NOTE)
    if restart_required:
        return Verdict(Impact.RESTART, verdict.reason, note=HELD_BACK_NOTE)
    return verdict


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _qty(value: Any) -> Decimal | None:
    try:
        return parse_quantity(value) if value is not None else None
    except (QuantityError, TypeError):
        return None


def _needs_migration(ctx: RuleContext, what: str, reason: str) -> Verdict:
    """LIVE_MIGRATION when the workload updater will migrate this VM, else RESTART saying why not.

    The workload updater migrates a VMI that needs it only with LiveMigrate among the methods and a
    migratable VMI; with Evict it shuts the VMI down instead.
    """
    methods = ctx.cluster.workload_update_methods
    if kv.WorkloadUpdateMethod.LIVE_MIGRATE not in methods:
        if kv.WorkloadUpdateMethod.EVICT in methods:
            return Verdict(
                Impact.RESTART,
                f"{what} needs a live migration; without LiveMigrate in workloadUpdateMethods, Evict shuts "
                "the VM down to apply it",
            )
        return Verdict(
            Impact.RESTART,
            f"{what} needs a live migration, but LiveMigrate is not in workloadUpdateMethods: it waits for "
            "a restart",
        )
    if ctx.vm is not None and not ctx.vm.migratable:
        return Verdict(Impact.RESTART, f"{what} needs a live migration, but the VMI is not live-migratable")
    return Verdict(Impact.LIVE_MIGRATION, reason)


def _also_not_migratable(vm: VmFacts | None) -> str:
    """Said alongside another reason, so that fixing that one alone is not expected to be enough."""
    return "; the VMI is not live-migratable either" if vm is not None and not vm.migratable else ""


def rule_cpu_sockets(change: Diff, ctx: RuleContext) -> Verdict:
    before, after = _int(change.before), _int(change.after)
    if before is None or after is None or after < before:
        return Verdict(Impact.RESTART, "sockets can only be hot-plugged upwards: removing sockets restarts")
    vm = ctx.vm
    if vm is not None and vm.architecture in kv.CPU_HOTPLUG_UNSUPPORTED_ARCHITECTURES.value:
        return Verdict(Impact.RESTART, f"CPU hot-plug is not available on {vm.architecture}: restart")
    limit = vm.max_sockets if vm else None
    if limit is None:
        reason = "the running VMI has no maxSockets (it booted without CPU hot-plug): restart"
        return Verdict(Impact.RESTART, reason + _also_not_migratable(vm))
    if after > limit:
        reason = f"beyond maxSockets {limit}: a restart is needed to raise the limit"
        return Verdict(Impact.RESTART, reason + _also_not_migratable(vm))
    return _needs_migration(
        ctx, "CPU hot-plug", f"within maxSockets {limit}: hot-plugged through a live migration"
    )


def _memory_blocker(after: Decimal, vm: VmFacts | None) -> str:
    """Why KubeVirt refuses to hot-plug to ``after`` (ValidateLiveUpdateMemory and the VMI's limits)."""
    if vm is not None and vm.architecture and vm.architecture not in kv.MEMORY_HOTPLUG_ARCHITECTURES.value:
        return f"memory hot-plug is only available for x86_64 VMs, not {vm.architecture}"
    if after < kv.MIN_HOTPLUG_MEMORY.value:
        return "memory hot-plug needs at least 1Gi of guest memory"
    alignment = (
        kv.HOTPLUG_MEMORY_ALIGNMENT_1G_HUGEPAGES
        if vm is not None and vm.hugepages_1g
        else kv.HOTPLUG_MEMORY_ALIGNMENT
    ).value
    if after % alignment:
        return f"hot-plugged guest memory must be a multiple of {_bytes(alignment)}"
    if vm is not None and vm.guest_at_boot is not None and after < vm.guest_at_boot:
        return f"below the {_bytes(vm.guest_at_boot)} the VM booted with"
    return ""


def rule_memory_guest(change: Diff, ctx: RuleContext) -> Verdict:
    before, after = _qty(change.before), _qty(change.after)
    vm = ctx.vm
    if before is None or after is None:
        return Verdict(Impact.RESTART, "guest memory is not a quantity: restart")
    if after < before and (vm is None or vm.guest_at_boot is None):
        return Verdict(
            Impact.RESTART, "guest memory below the current size: the boot size is unknown, restart"
        )
    blocker = _memory_blocker(after, vm)
    if blocker:
        return Verdict(Impact.RESTART, f"{blocker}: restart{_also_not_migratable(vm)}")
    limit = vm.max_guest if vm else None
    if limit is None:
        reason = "the running VMI has no maxGuest: memory hot-plug is not available for its configuration"
        return Verdict(Impact.RESTART, reason + _also_not_migratable(vm))
    if after > limit:
        reason = f"beyond maxGuest {_bytes(limit)}: a restart is needed to raise it"
        return Verdict(Impact.RESTART, reason + _also_not_migratable(vm))
    verb = "hot-plugged" if after > before else "hot-unplugged"
    return _needs_migration(
        ctx, "memory hot-plug", f"within maxGuest {_bytes(limit)}: {verb} through a live migration"
    )


def _bytes(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    for suffix, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value % size == 0:
            return f"{int(value // size)}{suffix}"
    return str(value)


def _template_list(obj: Mapping[str, Any], *keys: str) -> list[Any]:
    node: Any = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, list) else []


def _by_name(items: list[Any], name: str) -> Mapping[str, Any] | None:
    for item in items:
        if isinstance(item, Mapping) and item.get("name") == name:
            return item
    return None


def hotpluggable_volume(volume: Mapping[str, Any] | None) -> bool:
    """``storagetypes.IsDeclarativeHotplugVolume``: a PVC or DataVolume source with hotpluggable: true."""
    return volume is not None and any(
        isinstance(volume.get(src), Mapping) and volume[src].get("hotpluggable") is True
        for src in ("dataVolume", "persistentVolumeClaim")
    )


def rule_volume_hotplug(change: Diff, ctx: RuleContext) -> Verdict:
    """Volumes and their disks, after validLiveUpdateVolumes/Disks and HandleDeclarativeVolumes (v1.9.0)."""
    is_disk = named(change.path, "disks") != ""
    name = named(change.path, "disks") or named(change.path, "volumes")
    desired_volume = _by_name(_template_list(ctx.desired, "volumes"), name)
    live_volume = _by_name(_template_list(ctx.live, "volumes"), name)
    hotpluggable = hotpluggable_volume(desired_volume) or (
        desired_volume is None and hotpluggable_volume(live_volume)
    )
    disk = _by_name(_template_list(ctx.desired, "domain", "devices", "disks"), name) or _by_name(
        _template_list(ctx.live, "domain", "devices", "disks"), name
    )
    if is_disk and change.op is ChangeOp.REMOVE and ends_with_item(change.path) and disk and "cdrom" in disk:
        return Verdict(Impact.RESTART, "removing a CD-ROM drive restarts; eject by removing its volume only")
    if not hotpluggable:
        if ends_with_item(change.path):
            return Verdict(
                Impact.RESTART, "not a hot-pluggable volume (hotpluggable: true is missing): restart"
            )
        return Verdict(Impact.RESTART, "changing an attached disk or volume needs a restart")
    if ctx.cluster.volume_hotplug_blocked_by:
        return Verdict(
            Impact.NO_EFFECT,
            f"declarative volume hot-plug is off ({ctx.cluster.volume_hotplug_blocked_by}): KubeVirt neither "
            "attaches it nor asks for a restart; it takes effect when the VM next starts",
        )
    cdrom = disk is not None and "cdrom" in disk
    if is_disk and not ends_with_item(change.path):
        return Verdict(
            Impact.NO_EFFECT,
            "the disk of an attached hot-pluggable volume: KubeVirt keeps the attached disk as it is and "
            "asks for no restart; the change applies when the volume is plugged again or the VM restarts",
        )
    if not ends_with_item(change.path) or change.op is ChangeOp.CHANGE:
        return Verdict(Impact.LIVE, "hot-pluggable volume: unplugged and plugged again with the new settings")
    if change.op is ChangeOp.ADD:
        what = "the medium is inserted into the CD-ROM drive" if cdrom and not is_disk else "attached"
        return Verdict(Impact.LIVE, f"hot-pluggable volume: {what} on the running guest")
    what = "the medium is ejected (the drive stays)" if cdrom and not is_disk else "detached"
    return Verdict(Impact.LIVE, f"hot-pluggable volume: {what} from the running guest")


def _binding(iface: Mapping[str, Any]) -> str:
    for binding in ("bridge", "sriov", "masquerade", "passt", "slirp", "macvtap", "binding"):
        if binding in iface:
            return binding
    return ""


def rule_interface_hotplug(change: Diff, ctx: RuleContext) -> Verdict:
    """Interfaces, after IsRestartRequired, applyDynamicIfaceRequestOnVMI and the migration evaluator."""
    name = named(change.path, "interfaces")
    whole = ends_with_item(change.path)
    if change.op is ChangeOp.ADD and whole:
        iface = change.after if isinstance(change.after, Mapping) else {}
        binding = _binding(iface)
        if binding in kv.HOTPLUG_INTERFACE_BINDINGS.value and binding != "bridge":
            return _needs_migration(ctx, "SR-IOV NIC hot-plug", "SR-IOV interface hot-plugged by a migration")
        if binding in kv.HOTPLUG_INTERFACE_BINDINGS.value:
            return _needs_migration(
                ctx,
                "NIC hot-plug",
                "bridge interface hot-plugged; KubeVirt migrates the VM unless Multus' dynamic networks "
                "controller attaches it first",
            )
        return Verdict(
            Impact.NO_EFFECT,
            f"only bridge and SR-IOV interfaces are hot-plugged: this {binding or 'interface'} waits for the "
            "next restart (KubeVirt does not set RestartRequired for an added interface)",
        )
    if last_key(change.path) == "state":
        iface = _by_name(_template_list(ctx.desired, "domain", "devices", "interfaces"), name) or {}
        binding = _binding(iface)
        if change.after == "absent" and binding not in kv.UNPLUG_INTERFACE_BINDINGS.value:
            return Verdict(
                Impact.NONE,
                "only bridge interfaces can be unplugged",
                error=f"KubeVirt rejects state: absent on interface {name}: its binding is "
                f"{binding or 'not set'}, and only bridge interfaces can be hot-unplugged.",
                fix=f"Remove interface {name} and its network instead (the VM restarts), or keep it.",
            )
        if change.after == "absent":
            return Verdict(Impact.LIVE, "state: absent unplugs the interface from the running guest")
        if change.after in ("up", "down") or change.before in ("up", "down"):
            return Verdict(Impact.LIVE, "link state is set on the running guest")
    if change.op is ChangeOp.REMOVE and whole:
        return Verdict(
            Impact.RESTART, f"removing interface {name} outright restarts; use state: absent to unplug"
        )
    return Verdict(Impact.RESTART, "changing an existing interface needs a restart")


def rule_network_hotplug(change: Diff, ctx: RuleContext) -> Verdict:
    name = named(change.path, "networks")
    whole = ends_with_item(change.path)
    if last_key(change.path) == "networkName":
        return _needs_migration(ctx, "a new networkName", "the VM moves to a pod attached to the new network")
    if change.op is ChangeOp.ADD and whole:
        iface = _by_name(_template_list(ctx.desired, "domain", "devices", "interfaces"), name) or {}
        if _binding(iface) in kv.HOTPLUG_INTERFACE_BINDINGS.value:
            return _needs_migration(ctx, "NIC hot-plug", "network of a hot-plugged interface")
        return Verdict(Impact.NO_EFFECT, "network of an interface that is not hot-plugged: next restart")
    if change.op is ChangeOp.REMOVE and whole:
        iface = _by_name(_template_list(ctx.desired, "domain", "devices", "interfaces"), name) or {}
        if iface.get("state") == "absent":
            return Verdict(Impact.LIVE, "the network of an unplugged interface")
    return Verdict(Impact.RESTART, "changing a network needs a restart")


_STARTS = ("Always", "RerunOnFailure", "Once")


def rule_run_strategy(change: Diff, ctx: RuleContext) -> Verdict:
    after = change.after
    if last_key(change.path) == "running":
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
            Impact.NONE,
            "the size is not a quantity",
            error=f"The disk size {change.after!r} is not a Kubernetes quantity.",
            fix="Write the size as a quantity such as 20Gi.",
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
    if allowed is None:
        shown = klass or "(the cluster's default)"
        return Verdict(
            Impact.NONE,
            f"storage class {shown} not found: whether the disk can grow is unknown",
            error=f"The disk cannot grow safely: storage class {shown} is not in the cluster (or cannot be "
            "read), so whether it allows volume expansion is unknown.",
            fix=f"Use a storage class that exists and sets allowVolumeExpansion: true, or keep the size at "
            f"{change.before}.",
        )
    return Verdict(Impact.LIVE, GROWTH_IN_GUEST)


GROWTH_IN_GUEST = (
    f"the claim grows in place and KubeVirt resizes the VM's disk ({EXPAND_DISKS.name}, GA in "
    f"{EXPAND_DISKS.source.pinned}: nothing to enable; online while running, else at the next start); inside "
    "the guest, extend the partition and filesystem (growpart, then resize2fs or xfs_growfs; Windows: Disk "
    f"Management, Extend Volume); {GUEST_SIZE.rule}"
)
"""What a growth does and what the guest must do: ``facts.disk_growth`` EXPAND_DISKS and GUEST_SIZE."""


def rule_datavolume_size(change: Diff, ctx: RuleContext) -> Verdict:
    """The claim's rule: the components grow a DataVolume's claim, never the DataVolume (CDI freezes it)."""
    return rule_disk_size(change, ctx)


def rule_storage_unknown(change: Diff, ctx: RuleContext) -> Verdict:
    """No row: refuse to guess (the components would not replace the object, the API server may reject it)."""
    del change, ctx
    return Verdict(
        Impact.NONE,
        "a storage field without a policy row",
        error="The plan has no rule for this storage field and will not guess what the change does to the "
        "disk's data.",
        fix="Keep the field as it is in the cluster, or create a new disk with the new value.",
    )


def rule_secret_data(change: Diff, ctx: RuleContext) -> Verdict:
    del change
    if ctx.secret_use is SecretUse.CLOUD_INIT:
        return Verdict(
            Impact.NO_EFFECT,
            "cloud-init reads user data on first boot only: it skips it unless the instance-id changes",
        )
    if ctx.secret_use is SecretUse.CLOUD_INIT_CREDENTIALS:
        return Verdict(
            Impact.NO_EFFECT,
            "SSH keys propagated by noCloud/configDrive are written into the cloud-init data when the VM "
            "starts, and cloud-init applies them once per instance: the running guest keeps the old keys",
        )
    if ctx.secret_use is SecretUse.AGENT_CREDENTIALS:
        return Verdict(
            Impact.LIVE,
            "credentials propagated by qemuGuestAgent: virt-launcher watches the Secret and writes the new "
            "keys into the running guest through the guest agent",
        )
    return Verdict(Impact.LIVE, "readers of the Secret see the new value")


# --- Warm migration (VMware import) ------------------------------------------------------------------
# CDI's webhook compares old and new DataVolume specs with checkpoints and finalCheckpoint blanked out, when
# the new spec has checkpoints and a vddk or imageio source (facts.immutable.MULTI_STAGE_SOURCES): only then
# is the update admitted in place.

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


POOL_UPDATE_RULES: Mapping[str, str] = {str(fact.id): fact.summary for fact in POOL_UPDATE if fact.summary}


def pool_update(pool: Mapping[str, Any]) -> PoolUpdate:
    """A pool's update strategy; none written means proactive (``pool.go`` ``update``)."""
    strategy = (pool.get("spec") or {}).get("updateStrategy") or {}
    for update in (PoolUpdate.UNMANAGED, PoolUpdate.OPPORTUNISTIC):
        if update.value in strategy:
            return update
    return PoolUpdate.PROACTIVE


def rule_pool_template(change: Diff, ctx: RuleContext) -> Verdict:
    """A change of the members' spec: what reaches their guests depends on the pool's update strategy."""
    update = pool_update(ctx.desired)
    reason = POOL_UPDATE_RULES[update]
    if update is PoolUpdate.UNMANAGED:
        return Verdict(Impact.NO_EFFECT, reason)
    if update is PoolUpdate.OPPORTUNISTIC:
        return Verdict(
            Impact.LIVE, reason, "each member is rewritten; what its guest sees is planned per member"
        )
    if "dataVolumeTemplates" in keys_of(change.path):
        return Verdict(Impact.DESTROYS_DATA, reason, "running members are deleted with their volumes")
    return Verdict(Impact.RESTART, reason, "running members restart")


def rule_pool_replicas(change: Diff, ctx: RuleContext) -> Verdict:
    """More replicas create members; fewer delete members the scale-in policy picks (random by default)."""
    before, after = _int(change.before), _int(change.after)
    if before is None or after is None or after >= before:
        return Verdict(Impact.LIVE, "the pool creates the missing members")
    reason = (
        "the pool deletes members chosen by its scale-in policy (at random by default): their guests stop"
    )
    return Verdict(Impact.RESTART, reason, f"{before - after} member(s) deleted")


def field_change(kind: str, change: Diff, row: PolicyRule, verdict: Verdict) -> FieldChange:
    """One classified change as the plan shows it, redacted when the field holds a secret."""
    secret = is_sensitive(kind, change.path, change.after if change.after is not None else change.before)
    return FieldChange(
        path=format_path(change.path),
        before=None if secret else change.before,
        after=None if secret else change.after,
        impact=verdict.impact,
        rule=row.id,
        reason=verdict.reason,
        source=str(row.source),
        secret=secret,
        op=change.op,
        forces_replacement=verdict.replaces,
    )


RULE_FUNCTIONS: Mapping[str, Callable[[Diff, RuleContext], Verdict]] = {
    "pool_template": rule_pool_template,
    "pool_replicas": rule_pool_replicas,
    "cpu_sockets": rule_cpu_sockets,
    "memory_guest": rule_memory_guest,
    "volume_hotplug": rule_volume_hotplug,
    "interface_hotplug": rule_interface_hotplug,
    "network_hotplug": rule_network_hotplug,
    "run_strategy": rule_run_strategy,
    "disk_size": rule_disk_size,
    "datavolume_size": rule_datavolume_size,
    "storage_unknown": rule_storage_unknown,
    "secret_data": rule_secret_data,
    "datavolume_checkpoints": rule_datavolume_checkpoints,
    "datavolume_final_checkpoint": rule_datavolume_final_checkpoint,
}
