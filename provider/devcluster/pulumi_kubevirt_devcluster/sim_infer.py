"""virt-api's VM mutating webhook inferring the instancetype and preference from a volume, played afterwards.

KubeVirt v1.9.0: ``pkg/instancetype/webhooks/vm/mutator.go`` ``Mutate`` runs ``inferMatchers`` first, on
create and update; ``pkg/instancetype/infer/handler.go`` ``Instancetype``/``Preference`` replace a matcher
holding ``inferFromVolume`` with ``{name, kind}`` read from labels; ``volume.go`` ``fromVolumes`` follows
the named volume: a ``dataVolume`` volume to the DataVolume's own labels, then its source PVC, or its
``sourceRef`` DataSource's labels and then that DataSource's PVC; a ``persistentVolumeClaim`` volume to the
claim's labels. With ``inferFromVolumeFailurePolicy: Ignore`` a failure clears the matcher and a success
clears ``domain.memory``; without it a failure rejects the request.

The real webhook rewrites the VM inside the request that writes it; the simulator cannot intercept requests,
so it patches the VM on its next pass under virt-api's field manager. A failure under Reject leaves the VM as
it is (the real API server would have refused it). Not followed: dataVolumeTemplates and VolumeSnapshots,
which pulumi-kubevirt never emits.
"""

from __future__ import annotations

from typing import Any

from pulumi_kubevirt_devcluster.sim_api import DATA_SOURCE, VIRTUAL_MACHINE, JsonObject, JsonPatch
from pulumi_kubevirt_devcluster.sim_pass import Key, PassSnapshot
from pulumi_kubevirt_devcluster.sim_tables import Manager

# staging/src/kubevirt.io/api/instancetype/register.go
MATCHER_LABELS = {
    "instancetype": (
        "instancetype.kubevirt.io/default-instancetype",
        "instancetype.kubevirt.io/default-instancetype-kind",
    ),
    "preference": (
        "instancetype.kubevirt.io/default-preference",
        "instancetype.kubevirt.io/default-preference-kind",
    ),
}
IGNORE = "Ignore"


def infer_matchers(snapshot: PassSnapshot, key: Key) -> JsonObject:
    """The VM with every ``inferFromVolume`` matcher resolved as the webhook resolves it."""
    vm = snapshot.vms[key]
    spec = vm.get("spec") or {}
    patch: JsonPatch = []
    for matcher, (name_label, kind_label) in MATCHER_LABELS.items():
        wanted = spec.get(matcher)
        if not isinstance(wanted, dict) or not wanted.get("inferFromVolume"):
            continue
        labels = _volume_labels(snapshot, vm, str(wanted["inferFromVolume"]), name_label)
        ignore = wanted.get("inferFromVolumeFailurePolicy") == IGNORE
        if labels is None:
            if ignore:
                patch.append({"op": "remove", "path": f"/spec/{matcher}"})
            continue
        found: dict[str, Any] = {"name": labels[name_label]}
        if labels.get(kind_label):
            found["kind"] = labels[kind_label]
        patch.append({"op": "replace", "path": f"/spec/{matcher}", "value": found})
        domain = ((spec.get("template") or {}).get("spec") or {}).get("domain") or {}
        if matcher == "instancetype" and ignore and "memory" in domain:
            patch.append({"op": "remove", "path": "/spec/template/spec/domain/memory"})
    if not patch:
        return vm
    vm = snapshot.door.patch_custom(VIRTUAL_MACHINE, *key, patch, Manager.VIRT_API)
    snapshot.vms[key] = vm
    return vm


def _volume_labels(
    snapshot: PassSnapshot, vm: JsonObject, volume_name: str, name_label: str
) -> dict[str, str] | None:
    """The labels of the first object on the volume's chain that carries ``name_label`` (None: none does)."""
    namespace = vm["metadata"]["namespace"]
    template = (vm.get("spec") or {}).get("template") or {}
    volumes = (template.get("spec") or {}).get("volumes") or []
    volume = next((v for v in volumes if isinstance(v, dict) and v.get("name") == volume_name), None)
    if volume is None:
        return None
    if "persistentVolumeClaim" in volume:
        return _pvc_labels(
            snapshot, namespace, volume["persistentVolumeClaim"].get("claimName", ""), name_label
        )
    if "dataVolume" not in volume:
        return None
    dv_name = volume["dataVolume"].get("name", "")
    data_volume = snapshot.data_volumes.get((namespace, dv_name))
    if data_volume is None:  # garbage-collected DataVolume: its PVC has the same name
        return _pvc_labels(snapshot, namespace, dv_name, name_label)
    own = _labels(data_volume)
    if name_label in own:
        return own
    dv_spec = data_volume.get("spec") or {}
    source_pvc = (dv_spec.get("source") or {}).get("pvc")
    if source_pvc:
        return _pvc_labels(snapshot, source_pvc.get("namespace", ""), source_pvc.get("name", ""), name_label)
    ref = dv_spec.get("sourceRef") or {}
    if ref.get("kind") != "DataSource":
        return None
    data_source = snapshot.door.get_custom(
        DATA_SOURCE, ref.get("namespace") or namespace, ref.get("name", "")
    )
    if data_source is None:
        return None
    labels = _labels(data_source)
    if name_label in labels:
        return labels
    pvc = ((data_source.get("spec") or {}).get("source") or {}).get("pvc") or {}
    return _pvc_labels(snapshot, pvc.get("namespace", ""), pvc.get("name", ""), name_label) if pvc else None


def _labels(obj: JsonObject) -> dict[str, str]:
    return dict(obj.get("metadata", {}).get("labels") or {})


def _pvc_labels(snapshot: PassSnapshot, namespace: str, name: str, name_label: str) -> dict[str, str] | None:
    pvc = snapshot.pvcs.get((namespace, name)) or snapshot.door.get_pvc(namespace, name)
    labels = _labels(pvc) if pvc is not None else {}
    return labels if name_label in labels else None
