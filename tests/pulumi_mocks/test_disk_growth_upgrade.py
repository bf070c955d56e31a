"""Existing stacks upgrade to in-place disk growth without a replacement of any disk.

``identity-before-claim-growth.json`` is the record of the representative program as main registered it
before claim growth (commit 9feea9b: a DataVolume replaced on any change under ``spec.storage``). The engine
keys replacement on the URN (a new URN is a delete and a create) and on ``replace_on_changes`` minus
``ignore_changes`` of the *new* registration against the inputs in the state, so both are checked here: every
old disk keeps its URN, parent, provider and protection, and growing any disk changes only a path the new
options neither replace on nor send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_component_identity import identity

from pulumi_kubevirt.compile.claims import claim_request as claim_request_of
from pulumi_kubevirt.components import Disk, VirtualMachine
from pulumi_kubevirt.program.desired import DesiredState, desired_state_of_program
from pulumi_kubevirt.spec import BlankSource, DiskArgs, Memory, RegistrySource, RootDisk, VirtualMachineArgs

BEFORE = Path(__file__).resolve().parents[1] / "golden" / "components" / "identity-before-claim-growth.json"
DISK_TYPES = ("DataVolume", "PersistentVolumeClaim")


def _is_disk(urn: str) -> bool:
    return urn.split("::")[2].rsplit(":", 1)[-1] in DISK_TYPES


def test_every_disk_of_the_previous_layout_keeps_its_urn_and_protection() -> None:
    before = {r["urn"]: r for r in json.loads(BEFORE.read_text(encoding="utf-8")) if _is_disk(r["urn"])}
    after = {r["urn"]: r for r in identity()}
    assert len(before) == 5
    for urn, old in before.items():
        assert urn in after, f"{urn} would be deleted and created again"
        new = after[urn]
        for key in ("parent", "provider", "protect", "delete_before_replace", "inputs"):
            assert new[key] == old[key], (urn, key)


def _program(size: str) -> None:
    Disk("data", DiskArgs(namespace="ops", name="data", size=size, source=BlankSource()))
    Disk("scratch", DiskArgs(namespace="ops", name="scratch", size=size, pvc_only=True))
    VirtualMachine(
        "web",
        VirtualMachineArgs(
            namespace="ops",
            name="web",
            memory=Memory("2Gi"),
            root_disk=RootDisk(image=RegistrySource("docker://quay.io/containerdisks/fedora:40"), size=size),
        ),
    )


def _state(size: str) -> DesiredState:
    return desired_state_of_program(lambda: _program(size), project="shop", stack="prod")


def _changed_paths(old: Any, new: Any, prefix: str = "") -> set[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        paths: set[str] = set()
        for key in old.keys() | new.keys():
            paths |= _changed_paths(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
        return paths
    return set() if old == new else {prefix}


def _replaces(path: str, replace_on_changes: tuple[str, ...], ignore_changes: tuple[str, ...]) -> bool:
    """Pulumi replaces when a changed path is at or under a replace_on_changes path and not ignored."""
    if any(path == ignored or path.startswith(ignored + ".") for ignored in ignore_changes):
        return False
    return any(path == key or path.startswith(key + ".") for key in replace_on_changes)


def test_growing_every_kind_of_disk_replaces_none_and_the_previous_options_would_have() -> None:
    small, grown = _state("10Gi"), _state("20Gi")
    before = {r["urn"]: r for r in json.loads(BEFORE.read_text(encoding="utf-8"))}
    old_data_volume = next(record for urn, record in before.items() if urn.endswith("DataVolume::ops/data"))
    old_dv_replace = tuple(old_data_volume["replace_on_changes"])
    grown_by_urn = {r.urn: r for r in grown.resources}
    checked = 0
    for resource in small.resources:
        kind = resource.type.rsplit(":", 1)[-1]
        if kind not in DISK_TYPES:
            continue
        new = grown_by_urn[resource.urn]
        changed = _changed_paths(resource.inputs, new.inputs)
        assert changed, resource.urn
        options = new.options
        assert not [p for p in changed if _replaces(p, options.replace_on_changes, options.ignore_changes)]
        if kind == "DataVolume":
            assert changed == {"spec.storage.resources.requests.storage"}
            assert [p for p in changed if _replaces(p, old_dv_replace, ())], "the old layout replaced it"
        checked += 1
    assert checked == 3


def test_each_datavolume_has_a_claim_patch_that_grows_with_it() -> None:
    def patches(state: DesiredState) -> dict[str, Any]:
        return {
            r.name: r.inputs["spec"]["resources"]["requests"]["storage"]
            for r in state.by_type("kubernetes:core/v1:PersistentVolumeClaimPatch")
        }

    small, grown = patches(_state("10Gi")), patches(_state("20Gi"))
    assert set(small) == {"ops/data", "ops/web-root"}
    for name in small:
        assert int(grown[name]) > int(small[name])
    patch = _state("10Gi").by_type("kubernetes:core/v1:PersistentVolumeClaimPatch")[0]
    assert patch.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}
    data_volume = next(r for r in _state("10Gi").resources if r.urn.endswith("DataVolume::" + patch.name))
    assert data_volume.urn in patch.options.depends_on
    annotations = data_volume.inputs["metadata"]["annotations"]
    assert annotations["pulumi.com/waitFor"] == "jsonpath={.status.claimName}"


def test_claim_patches_are_not_desired_objects() -> None:
    claims = [m["metadata"]["name"] for m in _state("10Gi").manifests if m["kind"] == "PersistentVolumeClaim"]
    assert claims == ["scratch"]


def test_claim_request_follows_cdi_filesystem_overhead() -> None:
    def dv(storage: dict[str, Any]) -> dict[str, Any]:
        return {"spec": {"storage": {"resources": {"requests": {"storage": "10Gi"}}, **storage}}}

    gib = 2**30
    assert claim_request_of(dv({})) == -(-10 * gib * 106 // 100)
    assert claim_request_of(dv({"volumeMode": "Block"})) == 10 * gib
    assert claim_request_of({"spec": {"pvc": {"resources": {"requests": {"storage": "10Gi"}}}}}) == 10 * gib
    assert claim_request_of({"spec": {"storage": {}}}) is None
