"""What a user's existing stack sees of the components, pinned: every URN, parent, option and alias.

A change here is a change to every stack already deployed: a new URN or a lost alias makes the Pulumi engine
delete and recreate the object (a disk: its data), a lost ``replace_on_changes`` breaks an apply, a lost
``protect`` lets a preview destroy data. The golden file is the record of a representative program (every
component, a Fleet, an explicit provider, a component ``depends_on``) run under the mock runtime; rewrite it
only on purpose (``pytest --update-golden``) and read the diff as a migration note.

The mock monitor writes a URN with the type of the immediate parent only (the engine writes the whole chain);
the recorded ``parent`` URNs carry the rest of the chain, so the record pins the engine's URNs too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_kubevirt.components import Disk, Fleet, Network, VirtualMachine
from pulumi_kubevirt.program.desired import desired_state_of_program
from pulumi_kubevirt.spec import (
    BlankSource,
    CloudInit,
    DiskArgs,
    DiskAttachment,
    FleetArgs,
    Memory,
    NetworkArgs,
    Nic,
    NicBinding,
    RegistrySource,
    RootDisk,
    ServiceExposure,
    ServicePort,
    SshKeys,
    VirtualMachineArgs,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "components" / "identity.json"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8r0CkVdXZ0n1q6Y4kq6v1o1b1x3rT0e1J6M2b1Zq9X ops@shop"


def web(namespace: str) -> VirtualMachineArgs:
    return VirtualMachineArgs(
        namespace=namespace,
        name="web",
        memory=Memory("2Gi"),
        root_disk=RootDisk(image=RegistrySource("docker://quay.io/containerdisks/fedora:40"), size="12Gi"),
        cloud_init=CloudInit(user_data="#cloud-config\n"),
        ssh_keys=SshKeys(keys=(SSH_KEY,)),
        service=ServiceExposure(ports=(ServicePort("http", 80),)),
    )


def db(namespace: str, disk: str, network: str) -> VirtualMachineArgs:
    return VirtualMachineArgs(
        namespace=namespace,
        name="db",
        memory=Memory("4Gi"),
        disks=(DiskAttachment(disk),),
        nics=(Nic("default"), Nic("storage", network=network, binding=NicBinding.BRIDGE)),
    )


def representative_program() -> None:
    """Standalone components with a provider and a depends_on, and a Fleet with everything in it."""
    provider = k8s.Provider("prod-east")
    gate = k8s.core.v1.Namespace(
        "ops", metadata={"name": "ops"}, opts=pulumi.ResourceOptions(provider=provider)
    )
    with_provider = pulumi.ResourceOptions(provider=provider, depends_on=[gate])
    Disk(
        "scratch",
        DiskArgs(namespace="ops", name="scratch", size="1Gi", pvc_only=True, allow_data_loss=True),
        with_provider,
    )
    data_args = DiskArgs(namespace="ops", name="data", size="10Gi", source=BlankSource())
    data = Disk("data", data_args, with_provider)
    vlan = Network("vlan", NetworkArgs(namespace="ops", name="vlan", bridge="br1", vlan=120), with_provider)
    VirtualMachine("db", db("ops", "data", "vlan"), with_provider, disks=[data], networks=[vlan])
    VirtualMachine("web", web("ops"), with_provider)
    Fleet(
        "fleet",
        FleetArgs(
            namespaces=("shop",),
            networks=(NetworkArgs(namespace="shop", name="lan", bridge="br0"),),
            disks=(DiskArgs(namespace="shop", name="db-data", size="20Gi", source=BlankSource()),),
            vms=(db("shop", "db-data", "lan"), web("shop")),
        ),
    )


def identity() -> list[dict[str, Any]]:
    """Per registered resource: its URN and everything the engine keys replacement and deletion on."""
    result = desired_state_of_program(representative_program, project="shop", stack="prod")
    records = []
    for resource in result.resources:
        options = resource.options
        records.append(
            {
                "urn": resource.urn,
                "custom": resource.custom,
                "parent": options.parent,
                "provider": resource.provider_urn,
                "depends_on": sorted(options.depends_on),
                "aliases": list(options.aliases),
                "protect": options.protect,
                "delete_before_replace": options.delete_before_replace,
                "replace_on_changes": list(options.replace_on_changes),
                "ignore_changes": list(options.ignore_changes),
                "retain_on_delete": options.retain_on_delete,
                "additional_secret_outputs": list(options.additional_secret_outputs),
                "secret_inputs": sorted(resource.secret_keys),
                "inputs": sorted(resource.inputs),
            }
        )
    return sorted(records, key=lambda record: record["urn"])


def test_urns_parents_and_options_match_the_record(update_golden: bool) -> None:
    text = json.dumps(identity(), indent=2, sort_keys=True) + "\n"
    if update_golden:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), f"missing {GOLDEN}; run pytest --update-golden"
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "a URN, parent, alias or option of a component or child changed: deployed stacks would see "
        "replacements; if that is intended, run pytest --update-golden and justify the diff"
    )


def test_the_record_covers_every_component_type_and_child_kind() -> None:
    types = {record["urn"].split("::")[2].split("$")[-1] for record in identity()}
    assert types == {
        "kubevirt:index:Fleet",
        "kubevirt:index:VirtualMachine",
        "kubevirt:index:Disk",
        "kubevirt:index:Network",
        "pulumi:providers:kubernetes",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:PersistentVolumeClaimPatch",
        "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume",
        "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition",
        "kubernetes:kubevirt.io/v1:VirtualMachine",
        "pulumi-python:dynamic:Resource",
    }
