"""Pulumi components: ``VirtualMachine``, ``Disk``, ``Network`` and ``Fleet``.

Each component validates its typed args, compiles them (``compile.py``) and registers one pulumi-kubernetes
child per compiled object, parented to the component and carrying exactly the compiled manifest. The
resource options are policy, in the tables below: what the API makes immutable is ``replace_on_changes``,
every child has an explicit name so it is deleted before it is replaced, and a disk is ``protect``-ed unless
the user set ``allow_data_loss`` on it, so the Pulumi engine refuses (at preview) to replace or delete it.

A user's mistake raises :class:`KubevirtValidationError`, a ``pulumi.RunError``: the Python language host
prints its message alone (``pulumi.log.error(str(e))``); any other exception is printed with a traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_kubevirt.compile import (
    cloud_init_secret_name,
    compile_disk,
    compile_namespace,
    compile_network,
    compile_vm,
    root_disk_name,
    service_name,
    ssh_keys_secret_name,
)
from pulumi_kubevirt.components.preview import watch_preview
from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.spec import DiskArgs, FleetArgs, NetworkArgs, StackContext, VirtualMachineArgs
from pulumi_kubevirt.spec.fleet import TITLE as FLEET_TITLE
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.validate import validate_disk, validate_fleet, validate_network, validate_vm

Manifest = dict[str, Any]


class ComponentType(enum.StrEnum):
    """Pulumi type tokens of our components."""

    VIRTUAL_MACHINE = "kubevirt:index:VirtualMachine"
    DISK = "kubevirt:index:Disk"
    NETWORK = "kubevirt:index:Network"
    FLEET = "kubevirt:index:Fleet"


@dataclass(frozen=True, slots=True)
class ImmutableFields:
    """Fields the API server refuses to change on ``kind``: a change must delete and recreate the object."""

    kind: str
    replace_on_changes: tuple[str, ...]
    reason: str
    source: str


IMMUTABLE_FIELDS: tuple[ImmutableFields, ...] = (
    ImmutableFields(
        "DataVolume",
        ("spec",),
        "CDI rejects every update of a DataVolume's spec; pulumi-kubernetes forces replacement only on name "
        "and namespace of custom resources, so without this an edited source would fail at apply",
        "kubevirt/containerized-data-importer pkg/apiserver/webhooks/datavolume-validate.go "
        '("Cannot update DataVolume Spec")',
    ),
    ImmutableFields(
        "PersistentVolumeClaim",
        (
            "spec.accessModes",
            "spec.dataSource",
            "spec.dataSourceRef",
            "spec.selector",
            "spec.storageClassName",
            "spec.volumeMode",
            "spec.volumeName",
        ),
        "a claim's spec is immutable except resources.requests (growing a bound claim) and "
        "volumeAttributesClassName; the storage size is left out so that growing a disk patches the claim",
        "kubernetes pkg/apis/core/validation/validation.go ValidatePersistentVolumeClaimUpdate; "
        "pulumi-kubernetes provider/pkg/provider/diff.go forceNew (PR #1705 dropped spec.resources)",
    ),
    ImmutableFields(
        "Service",
        ("spec.clusterIP", "spec.clusterIPs"),
        "a Service's cluster IP cannot change once allocated",
        "kubernetes pkg/apis/core/validation/validation.go ValidateServiceUpdate; "
        "pulumi-kubernetes forceNew table (.spec.clusterIP)",
    ),
    ImmutableFields(
        "Secret",
        ("type",),
        "a Secret's type is immutable",
        "kubernetes pkg/apis/core/validation/validation.go ValidateSecretUpdate",
    ),
)
_REPLACE_ON_CHANGES: dict[str, tuple[str, ...]] = {
    row.kind: row.replace_on_changes for row in IMMUTABLE_FIELDS
}

PROTECTED_KINDS = frozenset({"DataVolume", "PersistentVolumeClaim"})
"""Kinds that hold a disk's data: protected unless the disk sets ``allow_data_loss``."""

_CORE_KINDS = frozenset({"Secret", "Service", "PersistentVolumeClaim", "Namespace"})


class KubevirtValidationError(pulumi.RunError):
    """Every problem in one component's args; ``pulumi preview`` prints the message without a traceback."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.problems: tuple[Problem, ...] = error.problems


def stack_context() -> StackContext:
    """The project and stack every compiled object is labelled with."""
    return StackContext(project=pulumi.get_project(), stack=pulumi.get_stack())


def child_name(manifest: Mapping[str, Any]) -> str:
    """A child's Pulumi name is its Kubernetes identity: ``namespace/name`` (``name`` if cluster-scoped)."""
    metadata = manifest["metadata"]
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def _raise_if(problems: Sequence[Problem], title: str) -> None:
    if problems:
        raise KubevirtValidationError(ValidationError(problems, title))


def _component_path(resource_name: str) -> str:
    return paths.format_path([paths.Key(resource_name)])


def _kubernetes_provider(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The Kubernetes provider given to the component, as ``provider`` or in ``providers``."""
    if opts is None:
        return None
    candidates: list[Any] = []
    if opts.provider is not None:
        candidates.append(opts.provider)
    if isinstance(opts.providers, Mapping):
        candidates.extend(value for key, value in opts.providers.items() if key == "kubernetes")
    elif opts.providers:
        candidates.extend(opts.providers)
    for candidate in candidates:
        if isinstance(candidate, pulumi.ProviderResource) and candidate.package == "kubernetes":
            return candidate
    return None


def _inherited_depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The component's own ``depends_on``: Pulumi does not pass it to children, so we do."""
    if opts is None or opts.depends_on is None:
        return []
    if isinstance(opts.depends_on, pulumi.Resource):
        return [opts.depends_on]
    if isinstance(opts.depends_on, Sequence):
        return [dependency for dependency in opts.depends_on if isinstance(dependency, pulumi.Resource)]
    return []


class ObservedCustomResource(k8s.apiextensions.CustomResource):  # type: ignore[misc]
    """A pulumi-kubernetes CustomResource that also keeps the ``status`` output of the live object.

    The registered inputs are those of ``CustomResource`` (``status`` is an unset input, so it is never sent);
    pulumi-kubernetes returns the whole live object as outputs, so ``status`` resolves after the await.
    """

    status: pulumi.Output[Any]

    def _internal_init(  # noqa: PLR0917 (the signature pulumi-kubernetes calls)
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        opts: pulumi.ResourceOptions | None = None,
        metadata: Any = None,
        spec: Any = None,
        __props__: Any = None,
    ) -> None:
        props = {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec, "status": None}
        pulumi.CustomResource.__init__(self, f"kubernetes:{api_version}:{kind}", resource_name, props, opts)


# --- Adoption (kvplan import): Pulumi's import option on the children, adopted disks protected ---------

ADOPTED_KINDS = frozenset(
    {"VirtualMachine", "Service", "DataVolume", "PersistentVolumeClaim", "NetworkAttachmentDefinition"}
)
"""Kinds an import adopts; the Secrets we write from cloud-init data are new objects, created as usual."""


def adoption_id(manifest: Mapping[str, Any]) -> str:
    """pulumi-kubernetes' import id: ``namespace/name`` (``name`` for cluster-scoped objects)."""
    metadata = manifest["metadata"]
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def adopts(manifest: Mapping[str, Any], adopt: bool) -> bool:
    return adopt and manifest.get("kind") in ADOPTED_KINDS


def keeps_data(manifest: Mapping[str, Any], *, allow_data_loss: bool, adopt: bool) -> bool:
    """Protect a disk's data unless allowed; an adopted disk is protected even then, until ``adopt`` goes."""
    return holds_disk_data(manifest) and (adopt or not allow_data_loss)


def holds_disk_data(manifest: Mapping[str, Any]) -> bool:
    """True for the objects whose deletion loses a disk's data."""
    return manifest.get("kind") in PROTECTED_KINDS


def kubernetes_child(
    parent: pulumi.Resource,
    manifest: Mapping[str, Any],
    *,
    provider: pulumi.ProviderResource | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
    protect: bool = False,
    adopt: bool = False,
) -> pulumi.CustomResource:
    """Register ``manifest`` as a pulumi-kubernetes resource: the core class for core kinds, else a CR.

    ``adopt`` sets Pulumi's ``import`` option (id ``namespace/name``): the existing object is adopted,
    not created.
    """
    kind = str(manifest["kind"])
    name = child_name(manifest)
    opts = pulumi.ResourceOptions(
        import_=adoption_id(manifest) if adopt else None,
        parent=parent,
        provider=provider,
        depends_on=list(depends_on),
        replace_on_changes=list(_REPLACE_ON_CHANGES.get(kind, ())),
        # Every compiled object is explicitly named: two objects of one name cannot exist at once.
        delete_before_replace=True,
        protect=protect,
    )
    extra = sorted(set(manifest) - {"apiVersion", "kind", "metadata", "spec", "type", "stringData", "data"})
    if extra:
        raise TypeError(f"{kind} {name}: no pulumi-kubernetes input for top-level field(s) {extra}")
    metadata = manifest["metadata"]
    if kind == "Secret":
        string_data = manifest.get("stringData")
        data = manifest.get("data")
        return k8s.core.v1.Secret(
            name,
            metadata=metadata,
            type=manifest.get("type"),
            string_data=pulumi.Output.secret(string_data) if string_data is not None else None,
            data=pulumi.Output.secret(data) if data is not None else None,
            opts=opts,
        )
    if kind == "Service":
        return k8s.core.v1.Service(name, metadata=metadata, spec=manifest.get("spec"), opts=opts)
    if kind == "PersistentVolumeClaim":
        return k8s.core.v1.PersistentVolumeClaim(
            name, metadata=metadata, spec=manifest.get("spec"), opts=opts
        )
    if kind == "Namespace":
        return k8s.core.v1.Namespace(name, metadata=metadata, opts=opts)
    return ObservedCustomResource(
        name,
        api_version=str(manifest["apiVersion"]),
        kind=kind,
        metadata=metadata,
        spec=manifest.get("spec"),
        opts=opts,
    )


def _status_field(resource: pulumi.CustomResource, *keys: str) -> pulumi.Output[Any]:
    """A field of the live object's ``status`` (None until the object reports it, and always under mocks)."""
    status = getattr(resource, "status", None)
    if status is None:
        return pulumi.Output.from_input(None)

    def pick(value: Any) -> Any:
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    return pulumi.Output.from_input(status).apply(pick)


class Network(pulumi.ComponentResource):
    """A secondary network: one Multus NetworkAttachmentDefinition."""

    network_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    args: NetworkArgs

    def __init__(
        self, resource_name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _raise_if(
            validate_network(args, _component_path(resource_name)), f"Network {resource_name!r} is not valid"
        )
        super().__init__(ComponentType.NETWORK, resource_name, None, opts)
        self.args = args
        provider = _kubernetes_provider(opts)
        manifests = compile_network(args, stack_context())
        self.kubernetes_objects: tuple[pulumi.CustomResource, ...] = tuple(
            kubernetes_child(
                self,
                manifest,
                provider=provider,
                depends_on=_inherited_depends_on(opts),
                adopt=adopts(manifest, args.adopt),
            )
            for manifest in manifests
        )
        self.network_name = pulumi.Output.from_input(args.name)
        self.namespace = pulumi.Output.from_input(args.namespace)
        watch_preview(self, manifests)
        self.register_outputs({"network_name": self.network_name, "namespace": self.namespace})


class Disk(pulumi.ComponentResource):
    """A standalone disk: a CDI DataVolume, or a plain PersistentVolumeClaim.

    Protected unless ``args.allow_data_loss``: the Pulumi engine then refuses, at preview, any change that
    would replace or delete it (a new source, storage class or access mode; removing it from the program).
    """

    disk_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    kind: pulumi.Output[str]
    phase: pulumi.Output[Any]
    args: DiskArgs

    def __init__(
        self, resource_name: str, args: DiskArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _raise_if(validate_disk(args, _component_path(resource_name)), f"Disk {resource_name!r} is not valid")
        super().__init__(ComponentType.DISK, resource_name, None, opts)
        self.args = args
        provider = _kubernetes_provider(opts)
        manifests = compile_disk(args, stack_context())
        self.kubernetes_objects: tuple[pulumi.CustomResource, ...] = tuple(
            kubernetes_child(
                self,
                manifest,
                provider=provider,
                depends_on=_inherited_depends_on(opts),
                protect=keeps_data(manifest, allow_data_loss=args.allow_data_loss, adopt=args.adopt),
                adopt=adopts(manifest, args.adopt),
            )
            for manifest in manifests
        )
        self.disk_name = pulumi.Output.from_input(args.name)
        self.namespace = pulumi.Output.from_input(args.namespace)
        self.kind = pulumi.Output.from_input(str(manifests[0]["kind"]))
        self.phase = _status_field(self.kubernetes_objects[0], "phase")
        watch_preview(self, manifests)
        self.register_outputs(
            {"disk_name": self.disk_name, "namespace": self.namespace, "kind": self.kind, "phase": self.phase}
        )


class VirtualMachine(pulumi.ComponentResource):
    """A KubeVirt VirtualMachine and what it owns: cloud-init and SSH-key Secrets, root disk, Service.

    ``disks`` and ``networks`` are the Disk and Network components it uses: the VM waits for them
    (``depends_on``). Cloud-init ``user_data``/``network_data`` may be ``str`` or a secret ``pulumi.Output``;
    the Secret that holds them is always a Pulumi secret.
    """

    vm_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    status: pulumi.Output[Any]
    ready: pulumi.Output[Any]
    disk_names: pulumi.Output[list[str]]
    secret_name: pulumi.Output[Any]
    ssh_keys_secret_name: pulumi.Output[Any]
    service_name: pulumi.Output[Any]
    service_cluster_ip: pulumi.Output[Any]
    args: VirtualMachineArgs

    def __init__(
        self,
        resource_name: str,
        args: VirtualMachineArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        disks: Sequence[Disk] = (),
        networks: Sequence[Network] = (),
    ) -> None:
        path = _component_path(resource_name)
        problems = validate_vm(args, path) + _used_component_problems(args, path, disks, networks)
        _raise_if(problems, f"VirtualMachine {resource_name!r} is not valid")
        super().__init__(ComponentType.VIRTUAL_MACHINE, resource_name, None, opts)
        self.args = args
        provider = _kubernetes_provider(opts)
        manifests = compile_vm(args, stack_context())
        root_allows_loss = args.root_disk is not None and args.root_disk.allow_data_loss
        inherited = _inherited_depends_on(opts)
        owned: dict[str, pulumi.CustomResource] = {}
        for manifest in manifests:
            if manifest["kind"] in ("VirtualMachine", "Service"):
                continue
            owned[child_name(manifest)] = kubernetes_child(
                self,
                manifest,
                provider=provider,
                depends_on=inherited,
                protect=holds_disk_data(manifest) and not root_allows_loss,
            )
        vm_manifest = next(m for m in manifests if m["kind"] == "VirtualMachine")
        # Disks, networks and the VM's own Secrets and root disk exist before the VM that mounts them.
        used: list[pulumi.Resource] = [*inherited, *networks, *disks, *owned.values()]
        self.vm = kubernetes_child(
            self, vm_manifest, provider=provider, depends_on=used, adopt=adopts(vm_manifest, args.adopt)
        )
        service_manifest = next((m for m in manifests if m["kind"] == "Service"), None)
        self.service = (
            kubernetes_child(
                self,
                service_manifest,
                provider=provider,
                depends_on=inherited,
                adopt=adopts(service_manifest, args.adopt),
            )
            if service_manifest is not None
            else None
        )
        self.kubernetes_objects: tuple[pulumi.CustomResource, ...] = (
            *owned.values(),
            self.vm,
            *((self.service,) if self.service is not None else ()),
        )
        self.vm_name = pulumi.Output.from_input(args.name)
        self.namespace = pulumi.Output.from_input(args.namespace)
        self.status = _status_field(self.vm, "printableStatus")
        self.ready = _status_field(self.vm, "ready")
        attached = [attachment.disk for attachment in args.disks]
        attached += [cdrom.disk for cdrom in args.cdroms if cdrom.disk is not None]
        root = [root_disk_name(args.name)] if args.root_disk is not None else []
        self.disk_names = pulumi.Output.from_input(root + attached)
        has_cloud_init = args.cloud_init is not None
        self.secret_name = pulumi.Output.from_input(
            cloud_init_secret_name(args.name) if has_cloud_init else None
        )
        inline_keys = args.ssh_keys is not None and bool(args.ssh_keys.keys)
        ssh_secret = args.ssh_keys.secret_name if args.ssh_keys is not None else None
        self.ssh_keys_secret_name = pulumi.Output.from_input(
            ssh_keys_secret_name(args.name) if inline_keys else ssh_secret
        )
        self.service_name = pulumi.Output.from_input(service_name(args) if self.service is not None else None)
        self.service_cluster_ip = (
            self.service.spec.apply(_cluster_ip)  # type: ignore[attr-defined]
            if self.service is not None
            else pulumi.Output.from_input(None)
        )
        watch_preview(self, manifests)
        self.register_outputs(
            {
                "vm_name": self.vm_name,
                "namespace": self.namespace,
                "status": self.status,
                "ready": self.ready,
                "disk_names": self.disk_names,
                "secret_name": self.secret_name,
                "ssh_keys_secret_name": self.ssh_keys_secret_name,
                "service_name": self.service_name,
                "service_cluster_ip": self.service_cluster_ip,
            }
        )


def _cluster_ip(spec: Any) -> Any:
    """``spec.clusterIP`` of a Service output (a typed ServiceSpec from the provider, a dict under mocks)."""
    typed = getattr(spec, "cluster_ip", None)
    if typed is not None or not isinstance(spec, dict):
        return typed
    return dict.get(spec, "clusterIP")


def _used_component_problems(
    args: VirtualMachineArgs, path: str, disks: Sequence[Disk], networks: Sequence[Network]
) -> list[Problem]:
    """Disks and networks handed to a VM must be in its namespace and be ones it actually uses."""
    problems: list[Problem] = []
    referenced_disks = {a.disk for a in args.disks} | {c.disk for c in args.cdroms if c.disk is not None}
    referenced_networks = {nic.network for nic in args.nics if nic.network is not None}
    for index, disk in enumerate(disks):
        where = paths.join(path, "disks", index)
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


class Fleet(pulumi.ComponentResource):
    """Everything of one ``FleetArgs`` in order: namespaces, then networks and disks, then the VMs using them.

    ``vms``, ``disks`` and ``networks`` map ``namespace/name`` to the components built, which is how a VM's
    disk and NIC references are resolved to ``depends_on``.
    """

    vm_statuses: pulumi.Output[dict[str, Any]]

    def __init__(
        self, resource_name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _raise_if(validate_fleet(args), "The fleet configuration is not valid")
        super().__init__(ComponentType.FLEET, resource_name, None, opts)
        provider = _kubernetes_provider(opts)
        child_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        ctx = stack_context()
        # Deleting a namespace deletes the claims in it: protect those that hold protected disk data.
        holding_data = {d.namespace for d in args.disks if not d.allow_data_loss} | {
            vm.namespace for vm in args.vms if vm.root_disk is not None and not vm.root_disk.allow_data_loss
        }
        namespace_manifests = [compile_namespace(namespace, ctx)[0] for namespace in args.namespaces]
        self.namespaces: dict[str, pulumi.CustomResource] = {
            manifest["metadata"]["name"]: kubernetes_child(
                self, manifest, provider=provider, protect=manifest["metadata"]["name"] in holding_data
            )
            for manifest in namespace_manifests
        }
        if namespace_manifests:
            watch_preview(self, namespace_manifests)

        def after_namespace(namespace: str) -> pulumi.ResourceOptions:
            wait = [self.namespaces[namespace]] if namespace in self.namespaces else []
            return pulumi.ResourceOptions.merge(child_opts, pulumi.ResourceOptions(depends_on=wait))

        self.networks: dict[str, Network] = {
            f"{n.namespace}/{n.name}": Network(f"{n.namespace}/{n.name}", n, after_namespace(n.namespace))
            for n in args.networks
        }
        self.disks: dict[str, Disk] = {
            f"{d.namespace}/{d.name}": Disk(f"{d.namespace}/{d.name}", d, after_namespace(d.namespace))
            for d in args.disks
        }
        self.vms: dict[str, VirtualMachine] = {}
        for vm in args.vms:
            key = f"{vm.namespace}/{vm.name}"
            self.vms[key] = VirtualMachine(
                key,
                vm,
                after_namespace(vm.namespace),
                disks=_resolve(self.disks, vm.namespace, _disk_references(vm)),
                networks=_resolve(self.networks, vm.namespace, [n.network for n in vm.nics if n.network]),
            )
        self.vm_statuses = pulumi.Output.all(
            **{key: component.status for key, component in sorted(self.vms.items())}
        ).apply(lambda statuses: dict(sorted(statuses.items())) if isinstance(statuses, dict) else {})
        # Output.all() of no keyword arguments gives a list: a fleet of only disks and networks has no VMs.
        self.register_outputs({"vm_statuses": self.vm_statuses})


def _disk_references(vm: VirtualMachineArgs) -> list[str]:
    return [a.disk for a in vm.disks] + [c.disk for c in vm.cdroms if c.disk is not None]


def _resolve(registry: Mapping[str, Any], namespace: str, names: Iterable[str]) -> list[Any]:
    """The components named ``names`` in ``namespace``, each once, in first-use order."""
    found: dict[str, Any] = {}
    for name in names:
        key = f"{namespace}/{name}"
        if key in registry and key not in found:
            found[key] = registry[key]
    return list(found.values())


CLOUD_INIT_SECRET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("user_data", "cloudInitUserData_{vm}", "#cloud-config\n"),
    ("network_data", "cloudInitNetworkData_{vm}", "version: 2\n"),
)
"""(cloud_init field, secret config key template, stand-in that passes validation until the secret is set)."""


def fleet_from_config(config: pulumi.Config | None = None, key: str = "fleet") -> FleetArgs:
    """The validated fleet of ``kubevirt:<key>``, with cloud-init data from secret config keys.

    ``kubevirt:cloudInitUserData_<vm>`` and ``kubevirt:cloudInitNetworkData_<vm>`` (set them with
    ``pulumi config set --secret``) become that VM's cloud-init user/network data as Pulumi secret Outputs, so
    they never sit in the stack file in clear. Every problem raises one :class:`KubevirtValidationError`.
    """
    config = config if config is not None else pulumi.Config("kubevirt")
    raw = config.require_object(key)
    problems: list[Problem] = []
    secrets: dict[str, dict[str, pulumi.Output[str]]] = {}
    patched = copy.deepcopy(raw)
    vms = patched.get("vms") if isinstance(patched, dict) else None
    for vm_name, vm_raw in sorted(vms.items()) if isinstance(vms, dict) else ():
        if not isinstance(vm_raw, dict):
            continue
        for field, template, stand_in in CLOUD_INIT_SECRET_KEYS:
            secret_key = template.format(vm=vm_name)
            value = config.get_secret(secret_key)
            if value is None:
                continue
            cloud_init = vm_raw.setdefault("cloud_init", {})
            if not isinstance(cloud_init, dict):
                continue
            if cloud_init.get(field) is not None:
                problems.append(
                    Problem(
                        paths.join(key, "vms", vm_name, "cloud_init", field),
                        f"is set here and also by the secret config key kubevirt:{secret_key}",
                        f"keep only the secret (pulumi config set --secret {secret_key}) and drop {field}",
                    )
                )
                continue
            cloud_init[field] = stand_in
            secrets.setdefault(vm_name, {})[field] = value
    try:
        fleet = load_fleet(patched, key)
    except ValidationError as error:
        raise KubevirtValidationError(ValidationError([*error.problems, *problems], error.title)) from None
    _raise_if(problems, FLEET_TITLE)
    return dataclasses.replace(
        fleet, vms=tuple(_with_secrets(vm, secrets.get(vm.name, {})) for vm in fleet.vms)
    )


def _with_secrets(vm: VirtualMachineArgs, values: Mapping[str, pulumi.Output[str]]) -> VirtualMachineArgs:
    if not values or vm.cloud_init is None:
        return vm
    cloud_init = dataclasses.replace(
        vm.cloud_init,
        user_data=values.get("user_data", vm.cloud_init.user_data),
        network_data=values.get("network_data", vm.cloud_init.network_data),
    )
    return dataclasses.replace(vm, cloud_init=cloud_init)
