"""A file server on VLAN 200 of bridge ``br1``, with its data on a standalone disk.

The data disk is its own ``Disk`` component (a CDI DataVolume), protected because ``allow_data_loss`` is not
set: Pulumi refuses, at preview, any change that would replace it. The VM waits for the network and the disk
(``networks=``/``disks=``). The guest's second NIC gets its static address from cloud-init network data.
"""

import pulumi

from pulumi_kubevirt.components import Disk, Network, VirtualMachine
from pulumi_kubevirt.spec import (
    BlankSource,
    CacheMode,
    CloudInit,
    Cpu,
    DiskArgs,
    DiskAttachment,
    Ipam,
    IpamType,
    Memory,
    NetworkArgs,
    NetworkType,
    Nic,
    NicBinding,
    NicModel,
    RegistrySource,
    RootDisk,
    VirtualMachineArgs,
    VolumeMode,
)

config = pulumi.Config()
namespace = config.require("namespace")
vlan_id = config.require_int("vlan")
address = config.require("address")
storage_class = config.get("storageClass")

lab_vlan = Network(
    "lab-vlan",
    NetworkArgs(
        namespace=namespace,
        name="lab-vlan",
        type=NetworkType.BRIDGE,
        bridge="br1",
        vlan=vlan_id,
        mtu=9000,
        ipam=Ipam(type=IpamType.NONE),
    ),
)

data = Disk(
    "files-data",
    DiskArgs(
        namespace=namespace,
        name="files-data",
        size=config.require("dataDiskSize"),
        source=BlankSource(),
        storage_class=storage_class,
        volume_mode=VolumeMode.BLOCK,
    ),
)

network_data = f"""version: 2
ethernets:
  enp1s0:
    dhcp4: true
  enp2s0:
    addresses: [{address}]
    mtu: 9000
"""

files = VirtualMachine(
    "files",
    VirtualMachineArgs(
        namespace=namespace,
        name="files",
        cpu=Cpu.vcpus(2),
        memory=Memory("4Gi"),
        root_disk=RootDisk(
            image=RegistrySource("docker://quay.io/containerdisks/debian:12"),
            size="16Gi",
            storage_class=storage_class,
        ),
        disks=(DiskAttachment("files-data", cache=CacheMode.NONE),),
        nics=(
            Nic("default"),
            Nic("lab", network="lab-vlan", binding=NicBinding.BRIDGE, model=NicModel.VIRTIO),
        ),
        cloud_init=CloudInit(
            user_data="#cloud-config\npackages: [nfs-kernel-server]\n",
            network_data=network_data,
        ),
    ),
    disks=[data],
    networks=[lab_vlan],
)

pulumi.export("vm", files.vm_name)
pulumi.export("status", files.status)
pulumi.export("data_disk", data.disk_name)
pulumi.export("network", lab_vlan.network_name)
