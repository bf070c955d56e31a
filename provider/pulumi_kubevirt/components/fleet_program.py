"""The generic fleet program: every VM, disk and network of a stack comes from its ``kubevirt:fleet`` config.

``programs/fleet/__main__.py`` is this function called alone. It lives in the package so that every copy of
the program is the same code, and so that ``kvplan`` can recognise an unmodified copy and compile its stack
straight from config without the Pulumi runtime (see ``program.desired.compile_fleet_stack``).
"""

from __future__ import annotations

import pulumi

from pulumi_kubevirt.components.fleet import Fleet
from pulumi_kubevirt.components.fleet_config import fleet_from_config


def run_fleet_program() -> None:
    """Build the stack's fleet from ``kubevirt:fleet`` and export what each VM, disk and network became.

    Cloud-init data that must stay secret comes from the secret config keys
    ``kubevirt:cloudInitUserData_<vm>`` and ``kubevirt:cloudInitNetworkData_<vm>``
    (``pulumi config set --secret``).
    """
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
