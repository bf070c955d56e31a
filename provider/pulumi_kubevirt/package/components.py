"""The hosted components: each converts the host's dicts to the spec's Args and builds the Python component.

The host passes a component's inputs as dicts keyed by Python names (nested types as dicts, enums as members,
values from other resources as Outputs). :func:`to_spec` turns them into the frozen dataclasses by field name;
the Python component then does everything else (validation, Inputs, children) exactly as for Python users,
as the one child of the hosted component, so both carry the same type token.
"""

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any

import pulumi

from pulumi_kubevirt import components
from pulumi_kubevirt.components.inputs import is_input
from pulumi_kubevirt.package import args as typed
from pulumi_kubevirt.spec import model

SOURCE_KINDS: dict[str, type] = {
    "http": model.HttpSource,
    "registry": model.RegistrySource,
    "pvc": model.PvcCloneSource,
    "blank": model.BlankSource,
    "upload": model.UploadSource,
}
"""A source object's key names its kind (the schema has no unions); ``blank``/``upload`` are flags."""


class SourceKindError(ValueError):
    """A source object sets no kind or several."""


def to_spec(cls: type, values: Mapping[str, Any]) -> Any:
    """``cls`` (a spec dataclass) from the host's dict, converting nested values by the field's type."""
    hints = typing.get_type_hints(cls)
    fields = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {unknown}")
    return cls(**{key: _convert(hints[key], value) for key, value in values.items() if value is not None})


def _convert(hint: Any, value: Any) -> Any:
    if is_input(value):
        return value
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    members = [m for m in typing.get_args(hint) if m is not type(None)] if union else [hint]
    if len(members) > 1 and all(dataclasses.is_dataclass(m) for m in members):
        return _source(value)
    member = members[0]
    if member is int and isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf has one number type: a whole number arrives as a float
    origin = typing.get_origin(member)
    if isinstance(member, type) and dataclasses.is_dataclass(member):
        return to_spec(member, value)
    if isinstance(member, type) and issubclass(member, enum.Enum):
        return member(value)
    if origin is tuple:
        item = typing.get_args(member)[0]
        return tuple(_convert(item, entry) for entry in value)
    if origin is not None and isinstance(value, Mapping):
        return dict(value)
    return value


def _source(value: Mapping[str, Any]) -> Any:
    chosen = [key for key, given in value.items() if given not in (None, False)]
    if len(chosen) != 1:
        raise SourceKindError(f"a source sets exactly one of {sorted(SOURCE_KINDS)}; this one sets {chosen}")
    (kind,) = chosen
    cls = SOURCE_KINDS[kind]
    return cls() if value[kind] is True else to_spec(cls, value[kind])


class VirtualMachine(pulumi.ComponentResource):
    """A KubeVirt VirtualMachine and what it owns: cloud-init and SSH-key Secrets, root disk, Service."""

    vm_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    disk_names: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: typed.VirtualMachineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(components.ComponentType.VIRTUAL_MACHINE, name, {}, opts)
        spec_args = to_spec(model.VirtualMachineArgs, args)
        vm = components.VirtualMachine(name, spec_args, pulumi.ResourceOptions(parent=self))
        self.vm_name, self.namespace, self.disk_names = vm.vm_name, vm.namespace, vm.disk_names
        self.register_outputs(
            {"vm_name": self.vm_name, "namespace": self.namespace, "disk_names": self.disk_names}
        )


class Disk(pulumi.ComponentResource):
    """A standalone disk: a CDI DataVolume, or a plain PersistentVolumeClaim."""

    disk_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    kind: pulumi.Output[str]

    def __init__(self, name: str, args: typed.DiskArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(components.ComponentType.DISK, name, {}, opts)
        disk = components.Disk(name, to_spec(model.DiskArgs, args), pulumi.ResourceOptions(parent=self))
        self.disk_name, self.namespace, self.kind = disk.disk_name, disk.namespace, disk.kind
        self.register_outputs({"disk_name": self.disk_name, "namespace": self.namespace, "kind": self.kind})


class Network(pulumi.ComponentResource):
    """A secondary network: one Multus NetworkAttachmentDefinition."""

    network_name: pulumi.Output[str]
    namespace: pulumi.Output[str]

    def __init__(
        self, name: str, args: typed.NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(components.ComponentType.NETWORK, name, {}, opts)
        network = components.Network(
            name, to_spec(model.NetworkArgs, args), pulumi.ResourceOptions(parent=self)
        )
        self.network_name, self.namespace = network.network_name, network.namespace
        self.register_outputs({"network_name": self.network_name, "namespace": self.namespace})


class Fleet(pulumi.ComponentResource):
    """Everything one stack declares: namespaces, then networks and disks, then the VMs using them."""

    vm_names: pulumi.Output[list[str]]
    """Each VM as ``namespace/name``, in declaration order."""

    def __init__(self, name: str, args: typed.FleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(components.ComponentType.FLEET, name, {}, opts)
        fleet = components.Fleet(name, to_spec(model.FleetArgs, args), pulumi.ResourceOptions(parent=self))
        self.vm_names = pulumi.Output.from_input(list(fleet.vms))
        self.register_outputs({"vm_names": self.vm_names})


HOSTED = [VirtualMachine, Disk, Network, Fleet]
PACKAGE_NAME = "kubevirt"
