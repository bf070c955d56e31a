"""The ``Disk`` component: a standalone disk, a CDI DataVolume or a plain PersistentVolumeClaim."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from pulumi_kubevirt.compile import compile_disk
from pulumi_kubevirt.components.compiled_component import CompiledComponent, ComponentType
from pulumi_kubevirt.components.resources import Manifest, keeps_data, status_field
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec import DiskArgs, StackContext
from pulumi_kubevirt.spec.validate import validate_disk


class Disk(CompiledComponent[DiskArgs]):
    """A standalone disk: a CDI DataVolume, or a plain PersistentVolumeClaim.

    Protected unless ``args.allow_data_loss``: the Pulumi engine then refuses, at preview, any change that
    would replace or delete it (a new source, storage class or access mode; removing it from the program).
    """

    TYPE = ComponentType.DISK

    disk_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    kind: pulumi.Output[str]
    phase: pulumi.Output[Any]

    def _problems(self, args: DiskArgs, path: str) -> list[Problem]:
        return validate_disk(args, path)

    def _compile(self, args: DiskArgs, context: StackContext) -> list[Manifest]:
        return compile_disk(args, context)

    def _register_children(self, manifests: Sequence[Manifest]) -> tuple[pulumi.CustomResource, ...]:
        return tuple(
            self._child(
                manifest,
                protect=keeps_data(
                    manifest, allow_data_loss=self.args.allow_data_loss, adopt=self.args.adopt
                ),
            )
            for manifest in manifests
        )

    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        return {
            "disk_name": self.args.name,
            "namespace": self.args.namespace,
            "kind": str(manifests[0]["kind"]),
            "phase": status_field(self.kubernetes_objects[0], "phase"),
        }
