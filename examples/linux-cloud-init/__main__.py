"""A Ubuntu VM from the upstream cloud image: cloud-init installs nginx, an SSH key gets you in.

The console password is a secret config value (``pulumi config set --secret consolePassword``): the cloud-init
user data built from it stays a Pulumi secret, and only the Kubernetes Secret ``ubuntu-cloudinit`` holds it.
"""

import pulumi

from pulumi_kubevirt.components import VirtualMachine
from pulumi_kubevirt.spec import (
    CloudInit,
    Cpu,
    HttpSource,
    Memory,
    Nic,
    NicPort,
    RootDisk,
    ServiceExposure,
    ServicePort,
    ServiceType,
    SshKeys,
    VirtualMachineArgs,
)

config = pulumi.Config()
namespace = config.get("namespace") or "default"
password = config.require_secret("consolePassword")

user_data = pulumi.Output.format(
    "#cloud-config\n"
    "hostname: ubuntu\n"
    "chpasswd:\n"
    "  expire: false\n"
    "  users:\n"
    "    - {{name: ubuntu, password: {0}, type: text}}\n"
    "package_update: true\n"
    "packages: [nginx, qemu-guest-agent]\n"
    "runcmd:\n"
    "  - systemctl enable --now nginx qemu-guest-agent\n",
    password,
)

vm = VirtualMachine(
    "ubuntu",
    VirtualMachineArgs(
        namespace=namespace,
        name="ubuntu",
        cpu=Cpu.vcpus(2, max_sockets=4),
        memory=Memory("2Gi", max_guest="8Gi"),
        root_disk=RootDisk(
            image=HttpSource("https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"),
            size="20Gi",
        ),
        nics=(Nic("default", ports=(NicPort(22, "ssh"), NicPort(80, "http"))),),
        cloud_init=CloudInit(user_data=user_data),
        ssh_keys=SshKeys(keys=(config.require("sshPublicKey"),)),
        service=ServiceExposure(
            type=ServiceType.NODE_PORT,
            ports=(ServicePort("ssh", 22, node_port=30022), ServicePort("http", 80)),
        ),
    ),
)

pulumi.export("vm", vm.vm_name)
pulumi.export("status", vm.status)
pulumi.export("service", vm.service_name)
pulumi.export("ssh", pulumi.Output.concat("ssh -p 30022 ubuntu@<node address>  # VM ", vm.vm_name))
