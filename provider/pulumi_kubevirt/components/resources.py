"""The pulumi-kubernetes children of the components: which class carries a manifest, with which options.

The options are platform facts (``facts``): what the API makes immutable is ``replace_on_changes``, every
child has an explicit name so it is deleted before it is replaced, and a disk is ``protect``-ed unless the
user set ``allow_data_loss`` on it, so the Pulumi engine refuses (at preview) to replace or delete it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_kubevirt.compile.claims import claim_growth_patch as compiled_claim_patch
from pulumi_kubevirt.facts.disk_growth import ignore_changes
from pulumi_kubevirt.facts.immutable import replace_on_changes
from pulumi_kubevirt.facts.kinds import DATA_KIND_NAMES

Manifest = dict[str, Any]


PROTECTED_KINDS = DATA_KIND_NAMES
"""Kinds that hold a disk's data (``facts.kinds``): protected unless the disk sets ``allow_data_loss``."""


def child_name(manifest: Mapping[str, Any], name_prefix: str | None = None) -> str:
    """A child's Pulumi name is its Kubernetes identity: ``namespace/name`` (``name`` if cluster-scoped).

    When the namespace is a Pulumi Input (unknown at preview), ``name_prefix``, the component's name, stands
    in for it: a Pulumi name must be known when the resource registers.
    """
    metadata = manifest["metadata"]
    if name_prefix is not None:
        return f"{name_prefix}/{metadata['name']}"
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def identity(manifest: Mapping[str, Any], name_prefix: str | None = None) -> tuple[str, str]:
    """What a child is to Pulumi: its kind and name."""
    return str(manifest["kind"]), child_name(manifest, name_prefix)


def kubernetes_provider(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
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


def inherited_depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
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
    resolved: pulumi.Output[Manifest] | None = None,
    name_prefix: str | None = None,
) -> pulumi.CustomResource:
    """Register ``manifest`` as a pulumi-kubernetes resource: the core class for core kinds, else a CR.

    ``adopt`` sets Pulumi's ``import`` option (id ``namespace/name``): the existing object is adopted,
    not created. ``resolved``, when the args hold Pulumi Inputs, carries the manifest's values (``manifest``
    then only gives the kind and name): the child's inputs are Outputs with the Inputs' secrecy and resources.
    """
    kind = str(manifest["kind"])
    name = child_name(manifest, name_prefix)
    opts = pulumi.ResourceOptions(
        import_=adoption_id(manifest) if adopt else None,
        parent=parent,
        provider=provider,
        depends_on=list(depends_on),
        replace_on_changes=list(replace_on_changes(kind)),
        ignore_changes=list(ignore_changes(kind)) or None,
        # Every compiled object is explicitly named: two objects of one name cannot exist at once.
        delete_before_replace=True,
        protect=protect,
    )
    extra = sorted(set(manifest) - {"apiVersion", "kind", "metadata", "spec", "type", "stringData", "data"})
    if extra:
        raise TypeError(f"{kind} {name}: no pulumi-kubernetes input for top-level field(s) {extra}")
    metadata: Any = manifest["metadata"]
    spec: Any = manifest.get("spec")
    secret_type: Any = manifest.get("type")
    string_data: Any = manifest.get("stringData")
    data: Any = manifest.get("data")
    if resolved is not None:
        metadata = resolved.apply(lambda found: found["metadata"])
        spec = resolved.apply(lambda found: found.get("spec")) if spec is not None else None
        string_data = (
            resolved.apply(lambda found: found.get("stringData")) if string_data is not None else None
        )
        data = resolved.apply(lambda found: found.get("data")) if data is not None else None
    if kind == "Secret":
        # pulumi-kubernetes' Secret marks data and stringData secret itself (Secret._internal_init wraps
        # each in Output.secret, lists both in additional_secret_outputs): wrapping them here too costs an
        # Output per Secret and changes nothing.
        return k8s.core.v1.Secret(
            name, metadata=metadata, type=secret_type, string_data=string_data, data=data, opts=opts
        )
    if kind == "Service":
        return k8s.core.v1.Service(name, metadata=metadata, spec=spec, opts=opts)
    if kind == "PersistentVolumeClaim":
        return k8s.core.v1.PersistentVolumeClaim(name, metadata=metadata, spec=spec, opts=opts)
    if kind == "Namespace":
        return k8s.core.v1.Namespace(name, metadata=metadata, opts=opts)
    return ObservedCustomResource(
        name,
        api_version=str(manifest["apiVersion"]),
        kind=kind,
        metadata=metadata,
        spec=spec,
        opts=opts,
    )


def claim_growth_patch(
    parent: pulumi.Resource,
    data_volume_manifest: Mapping[str, Any],
    data_volume: pulumi.CustomResource,
    *,
    resolved: pulumi.Output[Manifest] | None = None,
    name_prefix: str | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> pulumi.CustomResource | None:
    """Grow a DataVolume's disk in place: the claim patch of :func:`compile.claims.claim_growth_patch`.

    CDI refuses any DataVolume spec update (``facts.disk_growth``), so the size lives on the claim CDI
    created, at the request CDI would make for the new size. The patch depends on the DataVolume, which waits
    until it names its claim (``status.claimName``), so the patch never creates the claim itself. When the
    args hold Pulumi Inputs, ``resolved`` carries the DataVolume's values (its size may be one of them).
    """
    if data_volume_manifest.get("kind") != "DataVolume":
        return None
    if resolved is None:
        body = compiled_claim_patch(data_volume_manifest)
        if body is None:
            return None
        metadata, spec = body["metadata"], body["spec"]
    else:
        later = resolved.apply(lambda manifest: compiled_claim_patch(manifest) or {})
        metadata, spec = later.apply(lambda b: b.get("metadata")), later.apply(lambda b: b.get("spec"))
    return k8s.core.v1.PersistentVolumeClaimPatch(
        child_name(data_volume_manifest, name_prefix),
        metadata=metadata,
        spec=spec,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[data_volume]),
    )


def status_field(resource: pulumi.CustomResource, *keys: str) -> pulumi.Output[Any]:
    """A field of the live object's ``status`` (None until the object reports it, and always under mocks)."""
    status = getattr(resource, "status", None)
    if status is None:
        return pulumi.Output.from_input(None)

    def pick(value: Any) -> Any:
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    return pulumi.Output.from_input(status).apply(pick)


def cluster_ip(spec: Any) -> Any:
    """``spec.clusterIP`` of a Service output (a typed ServiceSpec from the provider, a dict under mocks)."""
    typed = getattr(spec, "cluster_ip", None)
    if typed is not None or not isinstance(spec, dict):
        return typed
    return dict.get(spec, "clusterIP")
