"""Migration policies, clones and pools: how KubeVirt v1.9.0 treats each, as rows with their sources.

- Which ``MigrationPolicy`` a VMI gets (``POLICY_MATCH``): the selectors, the score, the tie-break.
- What a change of a policy, a clone request or a pool does (``MOBILITY_POLICY``, read into
  ``facts.live_update.POLICY``; the pool rows name rules in ``plan.policy``).
- What a clone does to the identity of the VM it copies (``CLONE_IDENTITY``).
- How the pool controller rolls a template change out to its members (``POOL_UPDATE``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.facts.kinds import MIGRATION_POLICY, VM_CLONE, VM_POOL
from pulumi_kubevirt.facts.pattern import REST, Pattern
from pulumi_kubevirt.facts.source import Upstream, kubevirt

_MIGRATION_GO = "pkg/virt-controller/watch/migration/migration.go"
_MATCH_GO = "pkg/virt-controller/watch/migration/migrationpolicy.go"
_CLONE_GO = "pkg/virt-controller/watch/clone/clone.go"
_CLONE_TARGET_GO = "pkg/virt-controller/watch/clone/vm-target.go"
_CLONE_MUTATOR = "pkg/virt-api/webhooks/mutating-webhook/mutators/clone-create-mutator.go"
_POOL_GO = "pkg/virt-controller/watch/pool/pool.go"
_VM_GO = "pkg/virt-controller/watch/vm/vm.go"

MIGRATION_POLICY_API = "migrations.kubevirt.io/v1alpha1"
CLONE_API = "clone.kubevirt.io/v1beta1"
POOL_API = "pool.kubevirt.io/v1beta1"
POOL_REVISION_LABEL = "kubevirt.io/vmpool-revision-name"
"""The label the pool controller writes on members and their template (``injectPoolRevisionLabelsIntoVM``)."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One behaviour, stated once, with the upstream code that decides it."""

    id: str
    rule: str
    source: Upstream
    summary: str = ""
    """The rule in a few words, for a plan line (``rule`` is the whole of it)."""


POLICY_MATCH: tuple[Fact, ...] = (
    Fact(
        "policy-selects-vmi-labels",
        "a policy's virtualMachineInstanceSelector is compared with the VMI's labels, which are the VM's "
        "template labels (the VM's own labels play no part)",
        kubevirt(_VM_GO, "SetupVMIFromVM (vmi labels = spec.template.metadata.labels)"),
    ),
    Fact(
        "policy-all-labels-must-match",
        "every label of both selectors must be present with the same value; one miss and the policy does not "
        "apply; a policy without selectors applies to nothing; empty selectors apply to every VMI",
        kubevirt(_MATCH_GO, "countMatchingLabels"),
    ),
    Fact(
        "policy-most-specific-wins",
        "of the policies that apply, the one with the most matching labels (VMI and namespace together) "
        "wins; on a tie, the one with more VMI labels; then the lexicographically first name",
        kubevirt(_MATCH_GO, "matchPolicy; migrationPolicyMatchScore.greaterThan"),
    ),
    Fact(
        "policy-unlabelled-vmi",
        "when the VMI has no labels at all, neither selector is evaluated: every policy with selectors "
        "applies, with a score of zero",
        kubevirt(_MATCH_GO, "countMatchingLabels (areSelectorsAndLabelsNotNil checks the VMI's labels)"),
    ),
    Fact(
        "policy-read-at-migration",
        "the policy is matched when a migration is set up; a change to a policy reaches a VM at its next "
        "migration and never touches a running guest",
        kubevirt(_MIGRATION_GO, "resolveMigrationConfig; matchMigrationPolicy"),
    ),
    Fact(
        "policy-overrides-cluster-config",
        "each field the winning policy sets replaces the cluster-wide migration setting of the same name; "
        "allowPostCopy also sets allowWorkloadDisruption unless the policy sets that itself",
        kubevirt(_MATCH_GO, "applyMigrationPolicySpec"),
    ),
)


class CloneIdentity(enum.StrEnum):
    """What the clone controller does to each identity field of the VM it copies."""

    MAC_ADDRESS = "macAddress"
    SMBIOS_SERIAL = "firmware.serial"
    FIRMWARE_UUID = "firmware.uuid"


CLONE_IDENTITY: tuple[Fact, ...] = (
    Fact(
        CloneIdentity.MAC_ADDRESS,
        "every interface of the target gets the MAC address newMacAddresses names for it, or an empty one: "
        "the source's MAC is never kept; with an empty MAC the network (or KubeMacPool) assigns a new one",
        kubevirt(_CLONE_TARGET_GO, "addMacAddressPatches"),
        "new MAC addresses",
    ),
    Fact(
        CloneIdentity.SMBIOS_SERIAL,
        "when the source declares firmware, the target's SMBIOS serial is newSMBiosSerial or empty (a new "
        "one is generated); without firmware nothing is written",
        kubevirt(_CLONE_TARGET_GO, "addSmbiosSerialPatches"),
        "a new SMBIOS serial",
    ),
    Fact(
        CloneIdentity.FIRMWARE_UUID,
        "when the source declares firmware, the target's firmware UUID is emptied so the target gets its own",
        kubevirt(_CLONE_TARGET_GO, "addFirmwareUUIDPatches"),
        "a new firmware UUID",
    ),
    Fact(
        "clone-labels-copied",
        "the target keeps the source's labels and template labels unless labelFilters/template.labelFilters "
        "say otherwise (filters are regular expressions; '!' excludes and wins over an include)",
        kubevirt(_CLONE_TARGET_GO, "generatePatches; addRemovePatchesFromFilter"),
    ),
    Fact(
        "clone-target-name-generated",
        "without a target name the webhook writes clone-<source>-<random suffix> into spec.target",
        kubevirt(_CLONE_MUTATOR, "mutateClone; generateTargetName"),
    ),
    Fact(
        "clone-one-shot",
        "a clone runs once: snapshot, restore into the target, then Succeeded; a later edit of its spec is "
        "accepted and ignored, and when the target VM is deleted the controller deletes the clone too",
        kubevirt(_CLONE_GO, "syncTargetVM; execute (clone deleted for a deleted target)"),
    ),
)


class PoolUpdate(enum.StrEnum):
    """A pool's ``updateStrategy``: how a change of its VM template reaches the members."""

    PROACTIVE = "proactive"
    OPPORTUNISTIC = "opportunistic"
    UNMANAGED = "unmanaged"


POOL_UPDATE: tuple[Fact, ...] = (
    Fact(
        PoolUpdate.PROACTIVE,
        "the default (no updateStrategy): each member VM is rewritten from the new template, then each "
        "running member whose VMI came from a different template is restarted (its VMI deleted), at most "
        "maxUnavailable at a time (default 100%: all at once); a change of dataVolumeTemplates deletes the "
        "member VM with its volumes and the pool creates it again",
        kubevirt(_POOL_GO, "update; proactiveUpdate; isOutdatedVMI; handleResourceUpdate"),
        "a proactive pool update restarts each running member whose template changed",
    ),
    Fact(
        PoolUpdate.OPPORTUNISTIC,
        "each member VM is rewritten from the new template and nothing more: the VM controller then "
        "treats it as any VM spec change (live update, RestartRequired, or at the next start)",
        kubevirt(_POOL_GO, "update (isOpportunisticUpdate); opportunisticUpdate"),
        "an opportunistic pool update only rewrites the members' VMs",
    ),
    Fact(
        PoolUpdate.UNMANAGED,
        "the pool never touches its members after creating them: template changes reach only new members",
        kubevirt(_POOL_GO, "update (UpdateStrategy.Unmanaged)"),
        "an unmanaged pool never updates its members",
    ),
    Fact(
        "pool-member-identity",
        "a rewritten member keeps its firmware UUID and SMBIOS serial; members are named <pool>-<index>, "
        "new ones taking the lowest free index",
        kubevirt(_POOL_GO, "preserveVMIdentityFields; calculateNewVMNames; generateVMName"),
    ),
    Fact(
        "pool-scale-in",
        "scaling in deletes members chosen by scaleInStrategy's selection policy, at random by default",
        kubevirt(_POOL_GO, "scaleIn; resolveScaleInPolicy"),
    ),
)

_POOL_TEMPLATE: Pattern = ("spec", "virtualMachineTemplate", "spec")

MOBILITY_ROWS: tuple[tuple[str, str, Pattern, str, Upstream, Impact | None, str], ...] = (
    (
        "migration-policy-spec",
        MIGRATION_POLICY,
        ("spec", REST),
        "read when a migration is set up: running guests are untouched; the VMs it selects migrate with it "
        "from their next migration on",
        kubevirt(_MIGRATION_GO, "resolveMigrationConfig"),
        Impact.NO_EFFECT,
        "",
    ),
    (
        "clone-spec",
        VM_CLONE,
        ("spec", REST),
        "a clone is a one-shot request: once it has run, the controller ignores its spec (delete the "
        "clone and its target VM to clone again)",
        kubevirt(_CLONE_GO, "syncTargetVM (Succeeded: cleanup only)"),
        Impact.NO_EFFECT,
        "",
    ),
    (
        "pool-replicas",
        VM_POOL,
        ("spec", "replicas"),
        "the pool controller creates or deletes members to reach the count",
        kubevirt(_POOL_GO, "scale; scaleOut; scaleIn"),
        None,
        "pool_replicas",
    ),
    (
        "pool-data-volume-templates",
        VM_POOL,
        (*_POOL_TEMPLATE, "dataVolumeTemplates", REST),
        "a proactive update deletes each running member VM with its volumes; the pool creates it again",
        kubevirt(_POOL_GO, "isOutdatedVMI (proactiveUpdateTypeVMDelete); handleResourceUpdate"),
        None,
        "pool_template",
    ),
    (
        "pool-vm-template",
        VM_POOL,
        (*_POOL_TEMPLATE, REST),
        "the pool's update strategy decides what each member's guest sees",
        kubevirt(_POOL_GO, "update; opportunisticUpdate; proactiveUpdate"),
        None,
        "pool_template",
    ),
    (
        "pool-vm-metadata",
        VM_POOL,
        ("spec", "virtualMachineTemplate", "metadata", REST),
        "copied onto each member VM's own labels and annotations; the guests never see them",
        kubevirt(_POOL_GO, "opportunisticUpdate (labels and annotations from the template)"),
        Impact.NONE,
        "",
    ),
    (
        "pool-settings",
        VM_POOL,
        ("spec", REST),
        "how the controller rolls out and scales (update and scale-in strategy, maxUnavailable, "
        "autohealing): read at its next rollout, no guest is touched",
        kubevirt(_POOL_GO, "update; scale"),
        Impact.NONE,
        "",
    ),
)
"""``(id, kind, pattern, reason, source, impact, rule)``: ``facts.live_update`` makes policy rows of them."""
