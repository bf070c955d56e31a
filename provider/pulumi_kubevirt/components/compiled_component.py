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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import pulumi

from pulumi_kubevirt.components import inputs
from pulumi_kubevirt.components.preview import watch_preview
from pulumi_kubevirt.components.resources import (
    Manifest,
    adopts,
    claim_growth_patch,
    identity,
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
    TAKES_INPUTS: ClassVar[bool] = True
    """Whether args may hold Pulumi Inputs (``components/inputs.py``); else every Input is a user error."""
    PLAIN_FIX: ClassVar[str] = inputs.PLAIN_FIX

    args: ArgsT
    _plain_outputs: dict[str, Any]
    kubernetes_objects: tuple[pulumi.CustomResource, ...]

    def __init__(self, resource_name: str, args: ArgsT, opts: pulumi.ResourceOptions | None = None) -> None:
        title = self._invalid_title(resource_name)
        # Plain args (the common case) are checked and compiled as they are: Inputs cost them only this walk.
        found = self._found_inputs(args, title) if inputs.holds_input(args) else None
        if found is None:
            raise_if_invalid(self._problems(args, ARGS_PATH), title)
            shape = args
        else:
            shape = self._checked_shape(args, found, title)
        super().__init__(self.TYPE, resource_name, None, opts)
        self.args = args
        self._provider = kubernetes_provider(opts)
        self._inherited_depends_on = inherited_depends_on(opts)
        self._resolved_manifests: dict[int, pulumi.Output[Manifest]] = {}
        self._resolved_args: pulumi.Output[ArgsT] | None = None
        self._name_prefix = resource_name if found is not None and _namespace_is_input(found) else None
        context = stack_context()
        manifests = self._compile(shape, context)
        desired: pulumi.Input[Sequence[Manifest]] = manifests
        if found is not None:
            desired = self._resolve(
                leaves=found.leaves, args=args, title=title, shape=manifests, context=context
            )
        self.kubernetes_objects = self._register_children(manifests)
        outputs = self._outputs(manifests)
        self._plain_outputs = {}
        for name, value in outputs.items():
            if isinstance(value, pulumi.Output):
                setattr(self, name, value)
            else:
                self._plain_outputs[name] = value
        if manifests:
            watch_preview(self, desired)
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

    def _found_inputs(self, args: ArgsT, title: str) -> inputs.FoundInputs | None:
        """The Inputs in ``args`` to resolve, if any (cloud-init data passes through as it is); one where a
        plain value is required is a user error."""
        found = inputs.find_inputs(args)
        if not self.TAKES_INPUTS:
            found = inputs.FoundInputs((), found.misplaced + tuple(leaf.parts for leaf in found.leaves))
        adopt = bool(getattr(args, "adopt", False))
        raise_if_invalid(inputs.misplaced_problems(found, ARGS_PATH, adopt=adopt, fix=self.PLAIN_FIX), title)
        return found if found.leaves else None

    def _checked_shape(self, args: ArgsT, found: inputs.FoundInputs, title: str) -> ArgsT:
        """``args`` with a stand-in for each Input, after checking every plain value: an invalid component
        registers nothing."""
        unknown = [inputs.path_of(ARGS_PATH, leaf.parts) for leaf in found.leaves]
        shape: ArgsT = inputs.rebuild(args, {leaf.parts: leaf.placeholder for leaf in found.leaves})
        raise_if_invalid(inputs.problems_of_known(self._problems(shape, ARGS_PATH), unknown), title)
        return shape

    def _resolve(
        self,
        *,
        leaves: Sequence[inputs.InputLeaf],
        args: ArgsT,
        title: str,
        shape: Sequence[Manifest],
        context: StackContext,
    ) -> pulumi.Output[list[Manifest]]:
        """The manifests of the resolved args, checked as each Input becomes known; one Output per child."""

        def raise_problems(problems: list[Problem]) -> None:
            raise_if_invalid(problems, title)

        checked = inputs.check_known(
            leaves, args, lambda a: self._problems(a, ARGS_PATH), ARGS_PATH, raise_problems
        )

        def compiled(plain_args: ArgsT) -> list[Manifest]:
            manifests = self._compile(plain_args, context)
            if [identity(m, self._name_prefix) for m in manifests] != [
                identity(m, self._name_prefix) for m in shape
            ]:
                raise KubevirtValidationError(
                    ValidationError(
                        [
                            Problem(
                                ARGS_PATH,
                                "an Input's value changed which objects this component creates",
                                "give the value that decides it (an empty list, a name) as a plain value",
                            )
                        ],
                        title,
                    )
                )
            return manifests

        self._resolved_args = inputs.resolved(leaves, args, checked)
        desired = self._resolved_args.apply(compiled)
        for index, manifest in enumerate(shape):
            self._resolved_manifests[id(manifest)] = desired.apply(_item(index))
        return desired

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
        option instead of being created. A DataVolume comes with the patch that grows its claim in place.
        """
        resolved = self._resolved_manifests.get(id(manifest))
        child = kubernetes_child(
            self,
            manifest,
            resolved=resolved,
            name_prefix=self._name_prefix,
            provider=self._provider,
            depends_on=[*self._inherited_depends_on, *depends_on],
            protect=protect,
            adopt=adopts(manifest, bool(getattr(self.args, "adopt", False))),
        )
        claim_growth_patch(
            self, manifest, child, resolved=resolved, name_prefix=self._name_prefix, provider=self._provider
        )
        return child

    def _resolved(self, manifest: Manifest) -> tuple[pulumi.Output[ArgsT], pulumi.Output[Manifest]] | None:
        """The args and ``manifest`` with every Input resolved, when the args hold Inputs (None otherwise)."""
        resolved = self._resolved_manifests.get(id(manifest))
        if self._resolved_args is None or resolved is None:
            return None
        return self._resolved_args, resolved

    def _child_options(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for a component built inside this one: parent, provider and ``depends_on`` passed on."""
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._provider,
            depends_on=[*self._inherited_depends_on, *depends_on],
        )


def _namespace_is_input(found: inputs.FoundInputs) -> bool:
    """A namespace from another resource is unknown at preview: children are named after the component."""
    return any(leaf.parts == ("namespace",) for leaf in found.leaves)


def _item(index: int) -> Callable[[list[Manifest]], Manifest]:
    return lambda manifests: manifests[index]
