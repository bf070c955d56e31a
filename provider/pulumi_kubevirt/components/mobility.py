"""The ``MigrationPolicy``, ``VirtualMachineClone`` and ``VirtualMachinePool`` components.

Each is the one path of ``compiled_component`` (validate, compile, children, outputs) over
``compile.mobility``; what a change of each does is in ``facts.mobility`` and the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from pulumi_kubevirt.compile import compile_clone, compile_migration_policy, compile_pool
from pulumi_kubevirt.components.compiled_component import CompiledComponent, ComponentType
from pulumi_kubevirt.components.resources import Manifest
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec import CloneArgs, MigrationPolicyArgs, PoolArgs, StackContext
from pulumi_kubevirt.spec.validate import validate_clone, validate_migration_policy, validate_pool


class MigrationPolicy(CompiledComponent[MigrationPolicyArgs]):
    """A cluster-wide MigrationPolicy: bandwidth, completion timeout, auto-converge, post-copy for the VMs
    whose template labels (and namespace labels) it selects. ``kvplan plan`` says which VMs it wins."""

    TYPE = ComponentType.MIGRATION_POLICY

    policy_name: pulumi.Output[str]

    def _problems(self, args: MigrationPolicyArgs, path: str) -> list[Problem]:
        return validate_migration_policy(args, path)

    def _compile(self, args: MigrationPolicyArgs, context: StackContext) -> list[Manifest]:
        return compile_migration_policy(args, context)

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        return {"policy_name": self.args.name}


class VirtualMachineClone(CompiledComponent[CloneArgs]):
    """A one-shot clone of a VM (or a VM snapshot) into a new VM ``target``, with new MACs and SMBIOS serial.

    The target VM belongs to no stack (the clone filters this project's labels out of what it copies); a
    later edit of the clone has no effect, and deleting the target makes KubeVirt delete the clone too.
    """

    TYPE = ComponentType.CLONE

    target_name: pulumi.Output[str]

    def _problems(self, args: CloneArgs, path: str) -> list[Problem]:
        return validate_clone(args, path)

    def _compile(self, args: CloneArgs, context: StackContext) -> list[Manifest]:
        return compile_clone(args, context)

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        return {"target_name": self.args.target}


class VirtualMachinePool(CompiledComponent[PoolArgs]):
    """``replicas`` identical VMs from one spec (a VirtualMachinePool), with the Secrets and Service they
    share. ``update`` says how a spec change reaches running members; the plan shows it per member."""

    TYPE = ComponentType.POOL

    pool_name: pulumi.Output[str]
    namespace: pulumi.Output[str]

    def _problems(self, args: PoolArgs, path: str) -> list[Problem]:
        return validate_pool(args, path)

    def _compile(self, args: PoolArgs, context: StackContext) -> list[Manifest]:
        return compile_pool(args, context)

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        return {
            "pool_name": self.args.name,
            "namespace": self.args.namespace,
        }
