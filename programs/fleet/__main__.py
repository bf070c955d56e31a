"""The generic fleet program: every VM, disk and network of a stack comes from its ``kubevirt:fleet`` config.

Cloud-init data that must stay secret comes from the secret config keys ``kubevirt:cloudInitUserData_<vm>``
and ``kubevirt:cloudInitNetworkData_<vm>`` (``pulumi config set --secret``); see README.md beside this file.
"""

import pulumi

from pulumi_kubevirt.components import Fleet, fleet_from_config

fleet = Fleet("fleet", fleet_from_config(pulumi.Config("kubevirt")))

pulumi.export(
    "vms",
    {
        key: {
            "namespace": vm.namespace,
            "status": vm.status,
            "disks": vm.disk_names,
            "service": vm.service_name,
            "cloud_init_secret": vm.secret_name,
        }
        for key, vm in sorted(fleet.vms.items())
    },
)
pulumi.export("disks", {key: disk.kind for key, disk in sorted(fleet.disks.items())})
pulumi.export("networks", sorted(fleet.networks))
