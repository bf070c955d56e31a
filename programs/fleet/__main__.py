"""The generic fleet program: every VM, disk and network of a stack comes from its ``kubevirt:fleet`` config.

Cloud-init data that must stay secret comes from the secret config keys ``kubevirt:cloudInitUserData_<vm>``
and ``kubevirt:cloudInitNetworkData_<vm>`` (``pulumi config set --secret``); see README.md beside this file.
Keep this file as it is: ``kvplan`` recognises it and compiles the stack from config without the Pulumi
runtime (the objects are the same, byte for byte); a modified copy runs as an ordinary Pulumi program.
"""

from pulumi_kubevirt.components.fleet_program import run_fleet_program

run_fleet_program()
