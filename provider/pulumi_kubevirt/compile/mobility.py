"""MigrationPolicy, VirtualMachineClone and VirtualMachinePool manifests: pure and deterministic.

- A policy is cluster-scoped and carries the stack labels like everything else.
- A clone filters this project's labels out of what it copies (``labelFilters``), so the VM it creates is
  not taken for one of the stack's own and a Service of the source never selects it
  (``facts.mobility.CLONE_IDENTITY``: labels are copied unless filtered).
- A pool's members are the compiled VM spec; its VM template carries the stack labels (so the live reader
  lists the members) and the pool label its selector matches; the Secrets and Service a VM would own are
  shared by every member.
"""

from __future__ import annotations

from pulumi_kubevirt.compile.compiler import (
    ComponentKind,
    Manifest,
    clean_manifest,
    compile_vm,
    object_metadata,
    virtual_machine_manifest,
)
from pulumi_kubevirt.compile.emit import sort_manifests
from pulumi_kubevirt.core.labels import MANAGED_BY_KEY, stack_labels
from pulumi_kubevirt.facts.kinds import VM
from pulumi_kubevirt.facts.mobility import (
    CLONE_API,
    MIGRATION_POLICY_API,
    POOL_API,
    PoolUpdate,
)
from pulumi_kubevirt.spec import (
    CloneArgs,
    CloneSourceKind,
    MigrationPolicyArgs,
    PoolArgs,
    StackContext,
)

POOL_LABEL_KEY = "pulumi-kubevirt/pool"
"""On every member of a pool (VM and template): the pool's selector."""
CLONE_LABEL_FILTERS = ("*", "!pulumi-kubevirt/*", f"!{MANAGED_BY_KEY}")
"""Copy every label but this project's: the clone's target belongs to no stack."""
_SOURCE_GROUPS = {
    CloneSourceKind.VIRTUAL_MACHINE: "kubevirt.io",
    CloneSourceKind.SNAPSHOT: "snapshot.kubevirt.io",
}


def compile_migration_policy(args: MigrationPolicyArgs, ctx: StackContext) -> list[Manifest]:
    """One cluster-scoped MigrationPolicy; unset tunables stay unset (the cluster's setting applies)."""
    selectors = {
        "virtualMachineInstanceSelector": dict(sorted(args.vm_selector.items())) or None,
        "namespaceSelector": dict(sorted(args.namespace_selector.items())) or None,
    }
    spec = {
        "selectors": {k: v for k, v in selectors.items() if v is not None},
        "bandwidthPerMigration": args.bandwidth_per_migration,
        "completionTimeoutPerGiB": args.completion_timeout_per_gib,
        "allowAutoConverge": args.allow_auto_converge,
        "allowPostCopy": args.allow_post_copy,
        "allowWorkloadDisruption": args.allow_workload_disruption,
    }
    return [
        clean_manifest(
            {
                "apiVersion": MIGRATION_POLICY_API,
                "kind": "MigrationPolicy",
                "metadata": object_metadata(
                    args.name,
                    None,
                    ctx,
                    component=args.name,
                    kind=ComponentKind.MIGRATION_POLICY,
                    labels=args.labels,
                ),
                "spec": spec,
            }
        )
    ]


def compile_clone(args: CloneArgs, ctx: StackContext) -> list[Manifest]:
    """One VirtualMachineClone with an explicit target (so no webhook invents a name we cannot plan)."""
    spec = {
        "source": {
            "apiGroup": _SOURCE_GROUPS[args.source_kind],
            "kind": args.source_kind.value,
            "name": args.source,
        },
        "target": {"apiGroup": "kubevirt.io", "kind": VM, "name": args.target},
        "labelFilters": list(CLONE_LABEL_FILTERS),
        "template": {"labelFilters": list(CLONE_LABEL_FILTERS)},
        "newMacAddresses": dict(sorted(args.new_mac_addresses.items())) or None,
        "newSMBiosSerial": args.new_smbios_serial,
    }
    return [
        clean_manifest(
            {
                "apiVersion": CLONE_API,
                "kind": "VirtualMachineClone",
                "metadata": object_metadata(
                    args.name,
                    args.namespace,
                    ctx,
                    component=args.name,
                    kind=ComponentKind.CLONE,
                    labels=args.labels,
                ),
                "spec": spec,
            }
        )
    ]


def _update_strategy(update: PoolUpdate) -> dict[str, object] | None:
    """``None`` for proactive: KubeVirt's default, written as no strategy at all."""
    return None if update is PoolUpdate.PROACTIVE else {update.value: {}}


def compile_pool(args: PoolArgs, ctx: StackContext) -> list[Manifest]:
    """The pool, plus the Secrets and Service its members share (what ``compile_vm`` gives a VM)."""
    vm = virtual_machine_manifest(args.vm, ctx)
    member_labels = {**stack_labels(ctx.project, ctx.stack), POOL_LABEL_KEY: args.name}
    pool = clean_manifest(
        {
            "apiVersion": POOL_API,
            "kind": "VirtualMachinePool",
            "metadata": object_metadata(
                args.name,
                args.namespace,
                ctx,
                component=args.name,
                kind=ComponentKind.POOL,
                labels=args.labels,
            ),
            "spec": {
                "replicas": args.replicas,
                "selector": {"matchLabels": {POOL_LABEL_KEY: args.name}},
                "maxUnavailable": args.max_unavailable,
                "updateStrategy": _update_strategy(args.update),
                "virtualMachineTemplate": {
                    "metadata": {"labels": dict(sorted(member_labels.items()))},
                    "spec": vm["spec"],
                },
            },
        }
    )
    shared = [m for m in compile_vm(args.vm, ctx) if m["kind"] != VM]
    return sort_manifests([pool, *shared])
