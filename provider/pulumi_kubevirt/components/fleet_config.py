"""The fleet of a stack's config (``kubevirt:fleet``), with cloud-init data from secret config keys."""

from __future__ import annotations

import pulumi

from pulumi_kubevirt.components.compiled_component import KubevirtValidationError
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.spec import FleetArgs
from pulumi_kubevirt.spec.fleet import load_fleet_with_secrets


def fleet_from_config(config: pulumi.Config | None = None, key: str = "fleet") -> FleetArgs:
    """The validated fleet of ``kubevirt:<key>``, with cloud-init data from secret config keys.

    ``kubevirt:cloudInitUserData_<vm>`` and ``kubevirt:cloudInitNetworkData_<vm>`` (set them with
    ``pulumi config set --secret``) become that VM's cloud-init user/network data as Pulumi secret Outputs, so
    they never sit in the stack file in clear. The config is read by the same function ``kvplan`` uses to
    compile a config-driven stack without the Pulumi runtime. Every problem raises one
    :class:`KubevirtValidationError`.
    """
    config = config if config is not None else pulumi.Config("kubevirt")
    try:
        return load_fleet_with_secrets(config.require_object(key), config.get_secret, key)
    except ValidationError as error:
        raise KubevirtValidationError(error) from None
