"""The one path every component takes: validate, compile, register the Kubernetes children, publish outputs.

A component's constructor is this path with four hooks: which problems its args have, which manifests they
compile to, how those become children (options, ordering) and which outputs it publishes. Validation runs
before the component registers, so an invalid component registers nothing.

A user's mistake raises :class:`KubevirtValidationError`, a ``pulumi.RunError``: the Python language host
prints its message alone (``pulumi.log.error(str(e))``); any other exception is printed with a traceback.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import pulumi

from pulumi_kubevirt.components.preview import watch_preview
from pulumi_kubevirt.components.resources import (
    Manifest,
    adopts,
    inherited_depends_on,
    kubernetes_child,
    kubernetes_provider,
)
from pulumi_kubevirt.core.errors import Problem, UserError, ValidationError
from pulumi_kubevirt.spec import StackContext

ArgsT = TypeVar("ArgsT")


class ComponentType(enum.StrEnum):
    """Pulumi type tokens of our components (part of every URN: never change one)."""

    VIRTUAL_MACHINE = "kubevirt:index:VirtualMachine"
    DISK = "kubevirt:index:Disk"
    NETWORK = "kubevirt:index:Network"
    FLEET = "kubevirt:index:Fleet"
    MIGRATION_POLICY = "kubevirt:index:MigrationPolicy"
    CLONE = "kubevirt:index:VirtualMachineClone"
    POOL = "kubevirt:index:VirtualMachinePool"


class KubevirtValidationError(UserError, pulumi.RunError):
    """Every problem in one component's args; ``pulumi preview`` prints the message without a traceback."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error.title, error.problems)


def stack_context() -> StackContext:
    """The project and stack every compiled object is labelled with."""
    return StackContext(project=pulumi.get_project(), stack=pulumi.get_stack())


def raise_if_invalid(problems: Sequence[Problem], title: str) -> None:
    """Raise every problem at once, as the one error a user sees."""
    if problems:
        raise KubevirtValidationError(ValidationError(problems, title))


ARGS_PATH = "args"
"""Where a component's problems are reported: ``args.<field>``, the Python argument the user wrote (the
error's title names the component and its resource name)."""


class CompiledComponent(pulumi.ComponentResource, Generic[ArgsT], abc.ABC):
    """A component whose children carry exactly the manifests its args compile to.

    Subclasses set :attr:`TYPE` and implement the hooks; the constructor runs the path. ``opts.provider`` (or
    a ``kubernetes`` entry of ``opts.providers``) and ``opts.depends_on`` reach every child: Pulumi passes
    neither to the children of a component by itself.
    """

    TYPE: ClassVar[ComponentType]

    args: ArgsT
    _plain_outputs: dict[str, Any]
    kubernetes_objects: tuple[pulumi.CustomResource, ...]

    def __init__(self, resource_name: str, args: ArgsT, opts: pulumi.ResourceOptions | None = None) -> None:
        raise_if_invalid(self._problems(args, ARGS_PATH), self._invalid_title(resource_name))
        super().__init__(self.TYPE, resource_name, None, opts)
        self.args = args
        self._provider = kubernetes_provider(opts)
        self._inherited_depends_on = inherited_depends_on(opts)
        manifests = self._compile(args, stack_context())
        self.kubernetes_objects = self._register_children(manifests)
        outputs = self._outputs(manifests)
        self._plain_outputs = {}
        for name, value in outputs.items():
            if isinstance(value, pulumi.Output):
                setattr(self, name, value)
            else:
                self._plain_outputs[name] = value
        if manifests:
            watch_preview(self, manifests)
        self.register_outputs(outputs)

    def __getattr__(self, name: str) -> Any:
        """An output known at construction becomes an ``Output`` when first read, not before.

        Most outputs (names, namespaces) are plain values: registering them as they are and wrapping each only
        when a program reads it saves an ``Output`` per value per component, which at thousands of VMs is a
        measurable share of ``pulumi preview`` (``bench/render_overhead.py``).
        """
        plain = self.__dict__.get("_plain_outputs")
        if plain is None or name not in plain:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        output: pulumi.Output[Any] = pulumi.Output.from_input(plain[name])
        setattr(self, name, output)
        return output

    # --- the hooks ---------------------------------------------------------------------------------------

    @abc.abstractmethod
    def _problems(self, args: ArgsT, path: str) -> list[Problem]:
        """Every problem of ``args``, each at its path under ``path`` (``args``)."""

    def _invalid_title(self, resource_name: str) -> str:
        return f"{self.TYPE.rpartition(':')[2]} {resource_name!r} is not valid"

    @abc.abstractmethod
    def _compile(self, args: ArgsT, context: StackContext) -> list[Manifest]:
        """The manifests ``args`` compile to, labelled for ``context``."""

    def _register_children(self, manifests: Sequence[Manifest]) -> tuple[pulumi.CustomResource, ...]:
        """One child per manifest, in order; override to protect some or order them."""
        return tuple(self._child(manifest) for manifest in manifests)

    @abc.abstractmethod
    def _outputs(self, manifests: Sequence[Manifest]) -> Mapping[str, Any]:
        """The outputs to publish, as plain values where they are known now (Outputs otherwise); each also
        becomes an attribute of the component, an ``Output`` either way."""

    # --- for the hooks -----------------------------------------------------------------------------------

    def _child(
        self,
        manifest: Manifest,
        *,
        protect: bool = False,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> pulumi.CustomResource:
        """Register ``manifest`` under this component, after the component's own ``depends_on``.

        When the args say ``adopt`` (``kvplan import``), the objects an import adopts get Pulumi's ``import``
        option instead of being created.
        """
        return kubernetes_child(
            self,
            manifest,
            provider=self._provider,
            depends_on=[*self._inherited_depends_on, *depends_on],
            protect=protect,
            adopt=adopts(manifest, bool(getattr(self.args, "adopt", False))),
        )

    def _child_options(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for a component built inside this one: parent, provider and ``depends_on`` passed on."""
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._provider,
            depends_on=[*self._inherited_depends_on, *depends_on],
        )
