"""What a change of each field does to a running workload: the policy rows, each with its reason and source.

Rows are data: (id, kind, path pattern, impact or a named rule, reason, upstream source, scope). The plan
engine takes the first row whose kind and pattern cover a change (most specific rows first); a row with a
``rule`` names a function in ``plan.policy`` that reads cluster and VM facts. The rows that force a
replacement are not written here: they come from ``facts.immutable``, the table that also drives the
components' ``replace_on_changes``.

``scope`` says how KubeVirt's VM controller treats a template field (``sync`` in
``pkg/virt-controller/watch/vm/vm.go`` @ v1.9.0):

- ``live-update``: carried out by a LiveUpdate handler (CPU sockets, guest memory, node selector, affinity,
  tolerations). The handlers run only under the LiveUpdate rollout strategy and only while the VM has no
  ``RestartRequired`` condition and no other change of the same sync needs a restart.
- ``synced``: handled on every sync, under either rollout strategy and even with a restart pending
  (declarative volume hot-plug, interface hot-plug, the dynamic annotations).
- ``template-spec``: any other template field: ``syncRestartRequired`` sets ``RestartRequired``.
- ``template-metadata``: reaches the VMI only when it is created again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pulumi_kubevirt.facts.disk_growth import CLAIM_EXPANSION, DATAVOLUME_SIZE
from pulumi_kubevirt.facts.immutable import IMMUTABLE_FIELDS
from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.facts.kinds import DV, NAD, PVC, SECRET, SERVICE, VM
from pulumi_kubevirt.facts.mobility import MOBILITY_ROWS
from pulumi_kubevirt.facts.pattern import ITEM, REST, Pattern
from pulumi_kubevirt.facts.source import THIS_PROJECT, Upstream, kubernetes, kubevirt

ANY_KIND = "*"


class Scope(enum.StrEnum):
    """How the VM controller treats a field, for the cross-cutting VM facts (see the module docstring)."""

    OBJECT = "object"
    LIVE_UPDATE = "live-update"
    SYNCED = "synced"
    TEMPLATE_SPEC = "template-spec"
    TEMPLATE_METADATA = "template-metadata"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One row: ``impact`` for static rows, ``rule`` (a ``plan.policy`` function) for conditional ones."""

    id: str
    kind: str
    pattern: Pattern
    reason: str
    source: Upstream
    impact: Impact | None = None
    rule: str = ""
    scope: Scope = Scope.OBJECT
    replaces: bool = False


_VM_GO = "pkg/virt-controller/watch/vm/vm.go"
TEMPLATE: Pattern = ("spec", "template", "spec")
_DEVICES: Pattern = (*TEMPLATE, "domain", "devices")
_SYNC_RESTART = kubevirt(_VM_GO, "syncRestartRequired")

_VM_ROWS: tuple[PolicyRule, ...] = (
    PolicyRule(
        "vm-run-strategy",
        VM,
        ("spec", "runStrategy"),
        "starts or stops the VM",
        kubevirt(_VM_GO, "syncRunStrategy"),
        rule="run_strategy",
    ),
    PolicyRule(
        "vm-running",
        VM,
        ("spec", "running"),
        "deprecated start/stop switch",
        kubevirt(_VM_GO, "syncRunStrategy"),
        rule="run_strategy",
    ),
    PolicyRule(
        "vm-cpu-sockets",
        VM,
        (*TEMPLATE, "domain", "cpu", "sockets"),
        "vCPU sockets are hot-plugged upwards under LiveUpdate, up to maxSockets, through a live migration",
        kubevirt(_VM_GO, "syncRestartRequired; handleCPUChangeRequest"),
        rule="cpu_sockets",
        scope=Scope.LIVE_UPDATE,
    ),
    PolicyRule(
        "vm-memory-guest",
        VM,
        (*TEMPLATE, "domain", "memory", "guest"),
        "guest memory is hot-plugged under LiveUpdate, between the boot size and maxGuest, through a live "
        "migration",
        kubevirt(
            _VM_GO, "handleMemoryHotplugRequest; pkg/liveupdate/memory/memory.go ValidateLiveUpdateMemory"
        ),
        rule="memory_guest",
        scope=Scope.LIVE_UPDATE,
    ),
    PolicyRule(
        "vm-cpu-other",
        VM,
        (*TEMPLATE, "domain", "cpu"),
        "cores, threads, model and limits are not hot-pluggable: only sockets are",
        _SYNC_RESTART,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    *(
        PolicyRule(
            "vm-scheduling",
            VM,
            (*TEMPLATE, name),
            "under LiveUpdate KubeVirt patches the running VMI's scheduling constraints; the guest stays on "
            "its "
            "node (the workload updater migrates only for CPU, memory, network and volume changes)",
            kubevirt(
                _VM_GO,
                "handleAffinityChangeRequest; handleTolerationsChangeRequest; "
                "pkg/virt-controller/watch/workload-updater/workload-updater.go doesRequireMigration",
            ),
            impact=Impact.LIVE,
            scope=Scope.LIVE_UPDATE,
        )
        for name in ("nodeSelector", "affinity", "tolerations")
    ),
    PolicyRule(
        "vm-disk-hotplug",
        VM,
        (*_DEVICES, "disks", ITEM),
        "disks of hotpluggable volumes are attached and detached live; CD-ROMs keep their drive when the "
        "medium is ejected; any other disk change restarts",
        kubevirt(_VM_GO, "validLiveUpdateDisks; pkg/storage/hotplug/hotplug.go HandleDeclarativeVolumes"),
        rule="volume_hotplug",
        scope=Scope.SYNCED,
    ),
    PolicyRule(
        "vm-volume-hotplug",
        VM,
        (*TEMPLATE, "volumes", ITEM),
        "hotpluggable volumes are attached, replaced and detached live; other volumes (cloud-init too) "
        "restart",
        kubevirt(_VM_GO, "validLiveUpdateVolumes; pkg/storage/hotplug/hotplug.go HandleDeclarativeVolumes"),
        rule="volume_hotplug",
        scope=Scope.SYNCED,
    ),
    PolicyRule(
        "vm-interface-hotplug",
        VM,
        (*_DEVICES, "interfaces", ITEM),
        "bridge and SR-IOV interfaces are hot-plugged (a migration may carry it out), bridge ones unplugged "
        "with state: absent; link state is set live",
        kubevirt(
            "pkg/network/controllers/vm.go",
            "applyDynamicIfaceRequestOnVMI; pkg/network/vmliveupdate/restart.go IsRestartRequired; "
            "pkg/network/migration/evaluator.go shouldVMIBeMarkedForAutoMigration",
        ),
        rule="interface_hotplug",
        scope=Scope.SYNCED,
    ),
    PolicyRule(
        "vm-network-hotplug",
        VM,
        (*TEMPLATE, "networks", ITEM),
        "Multus networks follow their interface; a new networkName moves the VM to a new pod by a migration",
        kubevirt(
            "pkg/network/vmliveupdate/restart.go",
            "IsRestartRequired (haveNetsChangedIgnoringNADName); pkg/network/migration/evaluator.go",
        ),
        rule="network_hotplug",
        scope=Scope.SYNCED,
    ),
    PolicyRule(
        "vm-template-spec",
        VM,
        TEMPLATE,
        "not live-updatable: KubeVirt sets RestartRequired and applies it at the next restart",
        _SYNC_RESTART,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    *(
        PolicyRule(
            "vm-template-dynamic-annotation",
            VM,
            ("spec", "template", "metadata", "annotations", key),
            "a descheduler eviction annotation is copied to the running VMI on every sync",
            kubevirt(_VM_GO, "syncDynamicAnnotationsAndLabelsToVMI"),
            impact=Impact.LIVE,
            scope=Scope.SYNCED,
        )
        for key in (
            "descheduler.alpha.kubernetes.io/evict",
            "descheduler.alpha.kubernetes.io/prefer-no-eviction",
        )
    ),
    PolicyRule(
        "vm-template-metadata",
        VM,
        ("spec", "template", "metadata"),
        "template labels and annotations reach the VMI only when it is created again, after a restart "
        "(a Service selecting them matches only then)",
        kubevirt(_VM_GO, "SetupVMIFromVM; syncDynamicAnnotationsAndLabelsToVMI syncs only configured keys"),
        impact=Impact.NO_EFFECT,
        scope=Scope.TEMPLATE_METADATA,
    ),
    PolicyRule(
        "vm-data-volume-templates",
        VM,
        ("spec", "dataVolumeTemplates"),
        "KubeVirt only creates missing DataVolumes from templates; editing an entry changes nothing",
        kubevirt(_VM_GO, "handleDataVolumes"),
        impact=Impact.NO_EFFECT,
    ),
    *(
        PolicyRule(
            "vm-instancetype",
            VM,
            ("spec", name),
            "KubeVirt expands the old and the new instancetype or preference and compares the expanded "
            "templates: a switch that changes only sockets or guest memory is hot-plugged, anything else "
            "restarts; the plan does not expand instancetypes, so it says restart",
            kubevirt(_VM_GO, "syncRestartRequired (instancetypeController.ApplyToVM on both specs)"),
            impact=Impact.RESTART,
            scope=Scope.TEMPLATE_SPEC,
        )
        for name in ("instancetype", "preference")
    ),
    PolicyRule(
        "vm-template-other",
        VM,
        ("spec", "template"),
        "unknown template field: assumed to need a restart",
        _SYNC_RESTART,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
    PolicyRule(
        "vm-spec-other",
        VM,
        ("spec",),
        "other VM fields: assumed to take effect only when the VMI is created again",
        _SYNC_RESTART,
        impact=Impact.RESTART,
        scope=Scope.TEMPLATE_SPEC,
    ),
)

_CDI_WEBHOOK = Upstream(
    "kubevirt/containerized-data-importer",
    "pkg/apiserver/webhooks/datavolume-validate.go",
    "dataVolumeValidatingWebhook.Admit",
)
_PVC_UPDATE = kubernetes("pkg/apis/core/validation/validation.go", "ValidatePersistentVolumeClaimUpdate")

_STORAGE_ROWS: tuple[PolicyRule, ...] = (
    *(
        PolicyRule(
            "datavolume-size",
            DV,
            pattern,
            "the DataVolume keeps the size it was created with (CDI refuses the update): its claim grows in "
            "place when the storage class allows expansion, and never shrinks",
            DATAVOLUME_SIZE.source,
            rule="datavolume_size",
        )
        for pattern in DATAVOLUME_SIZE.paths
    ),
    PolicyRule(
        "datavolume-checkpoints",
        DV,
        ("spec", "checkpoints"),
        "a multi-stage (warm) import copies each appended checkpoint into the same disk",
        _CDI_WEBHOOK,
        rule="datavolume_checkpoints",
    ),
    PolicyRule(
        "datavolume-final-checkpoint",
        DV,
        ("spec", "finalCheckpoint"),
        "the cutover: the last checkpoint is copied from the stopped source VM",
        _CDI_WEBHOOK,
        rule="datavolume_final_checkpoint",
    ),
    PolicyRule(
        "disk-size",
        PVC,
        ("spec", "resources", "requests", "storage"),
        "a bound PVC grows in place when its storage class allows expansion; it never shrinks",
        CLAIM_EXPANSION.source,
        rule="disk_size",
    ),
    PolicyRule(
        "pvc-volume-attributes-class",
        PVC,
        ("spec", "volumeAttributesClassName"),
        "the volume's attributes class may change in place (VolumeAttributesClass); not to nil or empty",
        _PVC_UPDATE,
        impact=Impact.LIVE,
    ),
)

_IMMUTABLE_ROWS: tuple[PolicyRule, ...] = tuple(
    PolicyRule(row.id, row.kind, path, row.reason, row.source, impact=row.impact, replaces=True)
    for row in IMMUTABLE_FIELDS
    for path in row.paths
)

_MOBILITY_ROWS: tuple[PolicyRule, ...] = tuple(
    PolicyRule(row_id, kind, pattern, reason, source, impact=impact, rule=rule)
    for row_id, kind, pattern, reason, source, impact, rule in MOBILITY_ROWS
)

_OTHER_ROWS: tuple[PolicyRule, ...] = (
    PolicyRule(
        "secret-data",
        SECRET,
        ("data",),
        "what a changed value does depends on who reads the Secret",
        kubevirt(
            "pkg/virt-launcher/virtwrap/access-credentials/access_credentials.go",
            "watchSecrets (guest agent); pkg/cloud-init/cloud-init.go resolveSSHPublicKeys (at VMI start)",
        ),
        rule="secret_data",
    ),
    PolicyRule(
        "service-spec",
        SERVICE,
        ("spec",),
        "kube-proxy and endpoints follow a Service spec change at once",
        Upstream("kubernetes", "docs: Service"),
        impact=Impact.LIVE,
    ),
    PolicyRule(
        "nad-config",
        NAD,
        ("spec", "config"),
        "Multus reads the attachment when a VM's pod is created: running VMs keep the old config until their "
        "next start or migration",
        Upstream("k8snetworkplumbingwg/multus-cni", "docs/how-to-use.md"),
        impact=Impact.NO_EFFECT,
    ),
    PolicyRule(
        "object-metadata",
        ANY_KIND,
        ("metadata",),
        "labels and annotations of the object itself; the guest never sees them",
        Upstream("kubernetes", "API conventions: metadata"),
        impact=Impact.NONE,
    ),
    *(
        PolicyRule(
            "storage-unknown",
            kind,
            (REST,),
            "a storage field without a policy row: the plan cannot say what the API server does with it",
            Upstream(THIS_PROJECT, "DESIGN.md", "unknown storage changes are never guessed"),
            rule="storage_unknown",
        )
        for kind in (DV, PVC)
    ),
    PolicyRule(
        "unknown-field",
        ANY_KIND,
        (REST,),
        "a field without a policy row: assumed applied in place",
        Upstream(THIS_PROJECT, "DESIGN.md", "policy defaults"),
        impact=Impact.LIVE,
    ),
)

POLICY: tuple[PolicyRule, ...] = (
    *_VM_ROWS,
    *_STORAGE_ROWS,
    *_IMMUTABLE_ROWS,
    *_MOBILITY_ROWS,
    *_OTHER_ROWS,
)


@dataclass(frozen=True, slots=True)
class SensitivePath:
    """A field whose values are secret: plans and drift show only that it changed."""

    kind: str
    pattern: Pattern
    reason: str


_VOLUME: Pattern = (*TEMPLATE, "volumes", ITEM)
SENSITIVE_PATHS: tuple[SensitivePath, ...] = (
    SensitivePath(SECRET, ("data",), "Secret values"),
    SensitivePath(SECRET, ("stringData",), "Secret values"),
    *(
        SensitivePath(VM, (*_VOLUME, source, key), f"inline cloud-init {what}")
        for source in ("cloudInitNoCloud", "cloudInitConfigDrive")
        for key, what in (
            ("userData", "user data"),
            ("userDataBase64", "user data"),
            ("networkData", "network data"),
            ("networkDataBase64", "network data"),
        )
    ),
)
CLOUD_INIT_SOURCES = ("cloudInitNoCloud", "cloudInitConfigDrive")
