"""The fleet of a stack's config (``kubevirt:fleet``), with cloud-init data from secret config keys."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping

import pulumi

from pulumi_kubevirt.components.compiled_component import KubevirtValidationError, raise_if_invalid
from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.spec import FleetArgs, VirtualMachineArgs
from pulumi_kubevirt.spec.fleet import TITLE as FLEET_TITLE
from pulumi_kubevirt.spec.fleet import load_fleet

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
    raise_if_invalid(problems, FLEET_TITLE)
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
