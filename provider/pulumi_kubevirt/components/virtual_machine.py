"""The ``VirtualMachine`` component: a KubeVirt VirtualMachine and the objects it owns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi

from pulumi_kubevirt.compile import (
    cloud_init_secret_name,
    compile_vm,
    root_disk_name,
    service_name,
    ssh_keys_secret_name,
)
from pulumi_kubevirt.components.compiled_component import (
    ARGS_PATH,
    CompiledComponent,
    ComponentType,
    raise_if_invalid,
)
from pulumi_kubevirt.components.disk import Disk
from pulumi_kubevirt.components.guest_readiness import GuestReadiness, readiness_key, vm_entry
from pulumi_kubevirt.components.network import Network
from pulumi_kubevirt.components.resources import (
    Manifest,
    child_name,
    cluster_ip,
    holds_disk_data,
    status_field,
)
from pulumi_kubevirt.components.snapshot_before import SnapshotBefore, wants_snapshot_before
from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.facts.snapshots import VM_RESTORE, VM_SNAPSHOT
from pulumi_kubevirt.spec import StackContext, VirtualMachineArgs
from pulumi_kubevirt.spec.validate import network_data_problems, user_data_problems, validate_vm


class VirtualMachine(CompiledComponent[VirtualMachineArgs]):
    """A KubeVirt VirtualMachine and what it owns: cloud-init and SSH-key Secrets, root disk, Service.

    ``disks`` and ``networks`` are the Disk and Network components it uses: the VM waits for them
    (``depends_on``). Cloud-init ``user_data``/``network_data`` may be ``str`` or a secret ``pulumi.Output``;
    the Secret that holds them is always a Pulumi secret.
    """

    TYPE = ComponentType.VIRTUAL_MACHINE

    vm_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    status: pulumi.Output[Any]
    ready: pulumi.Output[Any]
    disk_names: pulumi.Output[list[str]]
    secret_name: pulumi.Output[Any]
    ssh_keys_secret_name: pulumi.Output[Any]
    service_name: pulumi.Output[Any]
    service_cluster_ip: pulumi.Output[Any]
    guest: pulumi.Output[Any]
    pending_restart: pulumi.Output[Any]
    vm: pulumi.CustomResource
    vm_manifest: Manifest
    service: pulumi.CustomResource | None
    guest_readiness: GuestReadiness | None

    def __init__(
        self,
        resource_name: str,
        args: VirtualMachineArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        disks: Sequence[Disk] = (),
        networks: Sequence[Network] = (),
        own_readiness: bool = True,
    ) -> None:
        self._used_disks = tuple(disks)
        self._used_networks = tuple(networks)
        self._own_readiness = own_readiness
        super().__init__(resource_name, args, opts)

    def readiness_entry(self) -> pulumi.Input[dict[str, Any]]:
        """What a GuestReadiness needs of this VM; from the resolved values when the args hold Inputs."""
        resolved = self._resolved(self.vm_manifest)
        if resolved is None:
            return vm_entry(self.args, self.vm_manifest)
        return pulumi.Output.all(*resolved).apply(lambda pair: vm_entry(pair[0], pair[1]))

    def _readiness_key(self) -> pulumi.Input[str]:
        """``namespace/name`` of the VM as applied (a plain key, never a walk over the whole entry)."""
        resolved = self._resolved(self.vm_manifest)
        if resolved is None:
            return readiness_key(self.vm_manifest)
        return resolved[1].apply(readiness_key)

    def attach_guests(self, guests: pulumi.Output[Any]) -> None:
        """Resolve ``guest`` and ``pending_restart`` from a GuestReadiness that covers this VM (a Fleet's)."""
        self._resolve_guests(guests)

    def _problems(self, args: VirtualMachineArgs, path: str) -> list[Problem]:
        # disks= and networks= are keyword arguments of their own: problems sit at disks[i], networks[i].
        return validate_vm(args, path) + _used_component_problems(
            args, "", self._used_disks, self._used_networks
        )

    def _compile(self, args: VirtualMachineArgs, context: StackContext) -> list[Manifest]:
        return compile_vm(
            _cloud_init_checked_when_known(args, self._invalid_title(self.pulumi_resource_name)), context
        )

    def _register_children(self, manifests: Sequence[Manifest]) -> tuple[pulumi.CustomResource, ...]:
        """The VM's Secrets and root disk first, the VM after them and the disks and networks it uses."""
        # Created once the args are valid: an Output that is never resolved would hold the program open.
        guests: tuple[pulumi.Output[Any], Callable[[pulumi.Output[Any]], None]] = pulumi.deferred_output()
        self._guests, self._resolve_guests = guests
        root_allows_loss = self.args.root_disk is not None and self.args.root_disk.allow_data_loss
        after_vm = (VM_SNAPSHOT, VM_RESTORE)
        owned = [
            self._child(manifest, protect=holds_disk_data(manifest) and not root_allows_loss)
            for manifest in manifests
            if manifest["kind"] not in ("VirtualMachine", "Service", *after_vm)
        ]
        vm_manifest = next(m for m in manifests if m["kind"] == "VirtualMachine")
        used: list[pulumi.Resource] = [*self._used_networks, *self._used_disks, *owned]
        if wants_snapshot_before(vm_manifest):
            # The snapshot is taken (update) before the VM is updated: the VM depends on it.
            used.append(
                SnapshotBefore(
                    f"{child_name(vm_manifest)}/snapshot-before",
                    vm_manifest,
                    self.args.snapshot_keep,
                    self._child_options(),
                )
            )
        self.vm = self._child(vm_manifest, depends_on=used)
        self.vm_manifest = vm_manifest
        snapshots = [self._child(m, depends_on=[self.vm]) for m in manifests if m["kind"] == VM_SNAPSHOT]
        restores = [
            self._child(m, depends_on=[self.vm, *snapshots]) for m in manifests if m["kind"] == VM_RESTORE
        ]
        service_manifest = next((m for m in manifests if m["kind"] == "Service"), None)
        self.service = self._child(service_manifest) if service_manifest is not None else None
        self.guest_readiness = None
        if self._own_readiness:
            self.guest_readiness = GuestReadiness(
                f"{self.pulumi_resource_name}/guest-readiness"
                if self._name_prefix is not None
                else f"{self.args.namespace}/{self.args.name}/guest-readiness",
                [self.readiness_entry()],
                pulumi.ResourceOptions(parent=self, depends_on=[self.vm]),
            )
            self.attach_guests(self.guest_readiness.guests)
        return (
            *owned,
            self.vm,
            *snapshots,
            *restores,
            *((self.service,) if self.service is not None else ()),
        )

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        args = self.args
        attached = [attachment.disk for attachment in args.disks]
        attached += [cdrom.disk for cdrom in args.cdroms if cdrom.disk is not None]
        root = [root_disk_name(args.name)] if args.root_disk is not None else []
        inline_keys = args.ssh_keys is not None and bool(args.ssh_keys.keys)
        ssh_secret = args.ssh_keys.secret_name if args.ssh_keys is not None else None
        key = self._readiness_key()
        guest = (
            self._guests.apply(lambda guests: (guests or {}).get(key))
            if isinstance(key, str)
            else pulumi.Output.all(self._guests, key).apply(lambda found: (found[0] or {}).get(found[1]))
        )
        return {
            "guest": guest,
            "pending_restart": guest.apply(lambda found: (found or {}).get("pending_restart")),
            "vm_name": args.name,
            "namespace": args.namespace,
            "status": status_field(self.vm, "printableStatus"),
            "ready": status_field(self.vm, "ready"),
            "disk_names": root + attached,
            "secret_name": cloud_init_secret_name(args.name) if args.cloud_init is not None else None,
            "ssh_keys_secret_name": ssh_keys_secret_name(args.name) if inline_keys else ssh_secret,
            "service_name": service_name(args) if self.service is not None else None,
            "service_cluster_ip": (
                self.service.spec.apply(cluster_ip)  # type: ignore[attr-defined]
                if self.service is not None
                else None
            ),
        }


def _cloud_init_checked_when_known(args: VirtualMachineArgs, title: str) -> VirtualMachineArgs:
    """Cloud-init data given as an Output (a secret, or unknown at preview) is checked once it resolves.

    The plain strings were checked with the rest of the args; an Output's value is checked inside ``apply``,
    which raises the same error (line and column, never the content) before the Secret is registered with it.
    """
    cloud_init = args.cloud_init
    if cloud_init is None:
        return args

    def checked(field: str, problems_of: Callable[[object, str], list[Problem]]) -> object:
        value = getattr(cloud_init, field)
        if not isinstance(value, pulumi.Output):
            return value
        where = paths.join(ARGS_PATH, "cloud_init", field)

        def verify(text: object) -> object:
            raise_if_invalid(problems_of(text, where), title)
            return text

        return value.apply(verify)

    return dataclasses.replace(
        args,
        cloud_init=dataclasses.replace(
            cloud_init,
            user_data=checked("user_data", user_data_problems),
            network_data=checked("network_data", network_data_problems),
        ),
    )


def _used_component_problems(
    args: VirtualMachineArgs, path: str, disks: Sequence[Disk], networks: Sequence[Network]
) -> list[Problem]:
    """Disks and networks handed to a VM must be in its namespace and be ones it actually uses."""
    problems: list[Problem] = []
    referenced_disks = {a.disk for a in args.disks} | {c.disk for c in args.cdroms if c.disk is not None}
    referenced_networks = {nic.network for nic in args.nics if nic.network is not None}
    for index, disk in enumerate(disks):
        where = paths.join(path, "disks", index)
        if not _both_plain(disk.args.namespace, args.namespace):
            continue  # a namespace from another resource: the API server checks the claim exists there
        if disk.args.namespace != args.namespace:
            problems.append(
                Problem(
                    where,
                    f"the Disk passed in disks=[...] ({disk.args.name!r}) is in namespace "
                    f"{disk.args.namespace}, the VM in {args.namespace}",
                    "a VM can only mount disks of its own namespace: move one of them",
                )
            )
        elif disk.args.name not in referenced_disks:
            problems.append(
                Problem(
                    where,
                    f"the Disk passed in disks=[...] ({disk.args.name!r}) is used by no attachment or CD-ROM",
                    f"attach it (DiskAttachment(disk={disk.args.name!r})) or do not pass it",
                )
            )
    for index, network in enumerate(networks):
        where = paths.join(path, "networks", index)
        if not _both_plain(network.args.namespace, args.namespace):
            continue
        if network.args.namespace != args.namespace:
            problems.append(
                Problem(
                    where,
                    f"the Network passed in networks=[...] ({network.args.name!r}) is in namespace "
                    f"{network.args.namespace}, the VM in {args.namespace}",
                    "a VM can only join networks of its own namespace: move one of them",
                )
            )
        elif network.args.name not in referenced_networks:
            problems.append(
                Problem(
                    where,
                    f"the Network passed in networks=[...] ({network.args.name!r}) is used by no NIC",
                    f"add a Nic(network={network.args.name!r}) or do not pass it",
                )
            )
    return problems


def _both_plain(*values: object) -> bool:
    return all(isinstance(value, str) for value in values)
