"""The ``Fleet`` component: everything of one ``FleetArgs``, namespaces first, the VMs last."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import pulumi

from pulumi_kubevirt.compile import compile_namespace
from pulumi_kubevirt.components.compiled_component import CompiledComponent, ComponentType
from pulumi_kubevirt.components.disk import Disk
from pulumi_kubevirt.components.guest_readiness import GuestReadiness
from pulumi_kubevirt.components.mobility import MigrationPolicy, VirtualMachineClone, VirtualMachinePool
from pulumi_kubevirt.components.network import Network
from pulumi_kubevirt.components.resources import Manifest
from pulumi_kubevirt.components.virtual_machine import VirtualMachine
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec import FleetArgs, StackContext, VirtualMachineArgs
from pulumi_kubevirt.spec.validate import validate_fleet

ComponentT = TypeVar("ComponentT")


class Fleet(CompiledComponent[FleetArgs]):
    """Everything of one ``FleetArgs`` in order: namespaces, then networks and disks, then the VMs using them.

    ``vms``, ``disks`` and ``networks`` map ``namespace/name`` to the components built, which is how a VM's
    disk and NIC references are resolved to ``depends_on``. Its own children are the Namespaces.
    """

    TYPE = ComponentType.FLEET
    # A fleet is stack config: plain values, its members keyed by namespace/name.
    TAKES_INPUTS = False
    PLAIN_FIX = (
        "a Fleet takes plain values (stack config): for values from other resources, build the "
        "VirtualMachine, Disk and Network components themselves"
    )

    vm_statuses: pulumi.Output[dict[str, Any]]
    namespaces: dict[str, pulumi.CustomResource]
    networks: dict[str, Network]
    disks: dict[str, Disk]
    vms: dict[str, VirtualMachine]
    guests: pulumi.Output[dict[str, Any]]
    guest_readiness: GuestReadiness | None
    migration_policies: dict[str, MigrationPolicy]
    pools: dict[str, VirtualMachinePool]
    clones: dict[str, VirtualMachineClone]

    def _problems(self, args: FleetArgs, path: str) -> list[Problem]:
        # Fleet problems are named from the config key (``fleet.vms.web...``), not the component's name.
        return validate_fleet(args)

    def _invalid_title(self, resource_name: str) -> str:
        return "The fleet configuration is not valid"

    def _compile(self, args: FleetArgs, context: StackContext) -> list[Manifest]:
        return [compile_namespace(namespace, context)[0] for namespace in args.namespaces]

    def _register_children(self, manifests: Sequence[Manifest]) -> tuple[pulumi.CustomResource, ...]:
        args = self.args
        # Deleting a namespace deletes the claims in it: protect those that hold protected disk data.
        holding_data = {d.namespace for d in args.disks if not d.allow_data_loss} | {
            vm.namespace for vm in args.vms if vm.root_disk is not None and not vm.root_disk.allow_data_loss
        }
        self.namespaces = {
            manifest["metadata"]["name"]: self._child(
                manifest, protect=manifest["metadata"]["name"] in holding_data
            )
            for manifest in manifests
        }

        def after_namespace(namespace: str) -> pulumi.ResourceOptions:
            return self._child_options([self.namespaces[namespace]] if namespace in self.namespaces else [])

        self.networks = {
            f"{n.namespace}/{n.name}": Network(f"{n.namespace}/{n.name}", n, after_namespace(n.namespace))
            for n in args.networks
        }
        self.disks = {
            f"{d.namespace}/{d.name}": Disk(f"{d.namespace}/{d.name}", d, after_namespace(d.namespace))
            for d in args.disks
        }
        self.vms = {}
        try:
            for vm in args.vms:
                key = f"{vm.namespace}/{vm.name}"
                self.vms[key] = VirtualMachine(
                    key,
                    vm,
                    after_namespace(vm.namespace),
                    disks=_resolve(self.disks, vm.namespace, _disk_references(vm)),
                    networks=_resolve(self.networks, vm.namespace, [n.network for n in vm.nics if n.network]),
                    own_readiness=False,
                )
        except BaseException:
            for component in self.vms.values():  # never leave a VM's guest outputs waiting forever
                component.attach_guests(pulumi.Output.from_input({}))
            raise
        # One GuestReadiness for every VM: the dynamic host runs four operations at once for a whole
        # deployment, so a resource per VM would wait for them a few at a time.
        self.guest_readiness = None
        if self.vms:
            self.guest_readiness = GuestReadiness(
                "fleet/guest-readiness",
                [vm.readiness_entry() for _, vm in sorted(self.vms.items())],
                pulumi.ResourceOptions(parent=self, depends_on=[vm.vm for vm in self.vms.values()]),
            )
            for component in self.vms.values():
                component.attach_guests(self.guest_readiness.guests)
        self._register_mobility(after_namespace)
        return tuple(self.namespaces.values())

    def _register_mobility(self, after_namespace: Callable[[str], pulumi.ResourceOptions]) -> None:
        """Policies (cluster-wide), pools after their namespace, clones after the VM they copy."""
        args = self.args
        self.migration_policies = {
            p.name: MigrationPolicy(p.name, p, self._child_options()) for p in args.migration_policies
        }
        self.pools = {
            f"{p.namespace}/{p.name}": VirtualMachinePool(
                f"{p.namespace}/{p.name}", p, after_namespace(p.namespace)
            )
            for p in args.pools
        }
        self.clones = {}
        for clone in args.clones:
            key = f"{clone.namespace}/{clone.name}"
            source = self.vms.get(f"{clone.namespace}/{clone.source}")
            options = after_namespace(clone.namespace)
            if source is not None:
                options = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(depends_on=[source]))
            self.clones[key] = VirtualMachineClone(key, clone, options)

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        statuses = pulumi.Output.all(**{key: vm.status for key, vm in sorted(self.vms.items())})
        # Output.all() of no outputs resolves to a list: a fleet of only disks and networks has no VMs.
        guests = (
            self.guest_readiness.guests if self.guest_readiness is not None else pulumi.Output.from_input({})
        )
        return {
            "vm_statuses": statuses.apply(lambda found: dict(sorted(dict(found).items()))),
            "guests": guests,
        }


def _disk_references(vm: VirtualMachineArgs) -> list[str]:
    return [a.disk for a in vm.disks] + [c.disk for c in vm.cdroms if c.disk is not None]


def _resolve(registry: Mapping[str, ComponentT], namespace: str, names: Iterable[str]) -> list[ComponentT]:
    """The components named ``names`` in ``namespace``, each once, in first-use order."""
    found: dict[str, ComponentT] = {}
    for name in names:
        key = f"{namespace}/{name}"
        if key in registry and key not in found:
            found[key] = registry[key]
    return list(found.values())
