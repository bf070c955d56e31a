"""The ``Network`` component: a secondary network, one Multus NetworkAttachmentDefinition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from pulumi_kubevirt.compile import compile_network
from pulumi_kubevirt.components.compiled_component import CompiledComponent, ComponentType
from pulumi_kubevirt.components.resources import Manifest
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec import NetworkArgs, StackContext
from pulumi_kubevirt.spec.validate import validate_network


class Network(CompiledComponent[NetworkArgs]):
    """A secondary network: one Multus NetworkAttachmentDefinition."""

    TYPE = ComponentType.NETWORK

    network_name: pulumi.Output[str]
    namespace: pulumi.Output[str]

    def _problems(self, args: NetworkArgs, path: str) -> list[Problem]:
        return validate_network(args, path)

    def _compile(self, args: NetworkArgs, context: StackContext) -> list[Manifest]:
        return compile_network(args, context)

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        return {
            "network_name": self.args.name,
            "namespace": self.args.namespace,
        }
