"""Pulumi's mock runtime, standing in for the engine, to run a program and record what it registers.

No Pulumi CLI, backend or cluster: the program's ``__main__`` runs in this process against a recording
resource monitor. Imported only when a program must run (``desired.desired_state_of_program``): a
config-driven stack is compiled without it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import stack as runtime_stack

from pulumi_kubevirt.compile import emit as manifest_tools
from pulumi_kubevirt.core.errors import UserError
from pulumi_kubevirt.program.desired import (
    _STACK_TYPE,
    UNKNOWN,
    DesiredState,
    DesiredStateError,
    ObserveApplied,
    RegisteredResource,
    ResourceOptionsRecord,
    _is_secret,
    _plain,
)


def run_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    workdir: Path | None = None,
    program_root: Path | None = None,
    description: str = "the Pulumi program",
    observe: ObserveApplied | None = None,
    dry_run: bool = False,
) -> DesiredState:
    """The desired state of ``program`` run as a Pulumi program (own event loop, settings and config; all
    reset afterwards).

    ``config`` maps full keys (``kubevirt:fleet``) to the strings the CLI would pass; ``secret_keys`` are
    the secret ones. A RunError or ValidationError comes back as a DesiredStateError with its message alone.
    ``observe`` plays the cluster for the resources' outputs (by default they equal the inputs).
    ``dry_run`` runs it as ``pulumi preview`` does: outputs the mocks do not return are unknown, and an
    unknown input is recorded as ``UNKNOWN``.
    """
    recorder = _Recorder(observe, dry_run=dry_run)
    runtime = _isolated_runtime(
        project,
        stack,
        config=dict(config or {}),
        secret_keys=secret_keys,
        recorder=recorder,
        workdir=workdir,
        dry_run=dry_run,
    )
    with runtime as loop:
        outputs, secret_outputs = _run_in_stack(loop, program, program_root, description)
    resources = tuple(recorder.resources)
    # A preview's object whose metadata is still unknown has no identity to plan with: it is not collected.
    collected = [
        dict(resource.inputs)
        for resource in resources
        if resource.is_kubernetes_object and isinstance(resource.inputs.get("metadata"), Mapping)
    ]
    ordered = tuple(dict(manifest) for manifest in manifest_tools.sort_manifests(collected))
    return DesiredState(
        project, stack, ordered, resources, outputs, secret_outputs, dict(recorder.component_outputs)
    )


# --- the mock runtime -----------------------------------------------------------------------------


class _RecordingMonitor(mocks.MockMonitor):  # type: ignore[misc]
    """The stock mock monitor, plus a record of every registration's inputs and options."""

    def __init__(self, recorder: _Recorder) -> None:
        super().__init__(_ApplyLikeMocks(recorder.observe))
        self.recorder = recorder

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != _STACK_TYPE:
            self.recorder.record(request, response.urn, rpc.deserialize_properties(request.object))
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if f"::{_STACK_TYPE}::" not in request.urn:
            outputs = self.recorder.plain(rpc.deserialize_properties(request.outputs))
            self.recorder.component_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


class _ApplyLikeMocks(mocks.Mocks):  # type: ignore[misc]
    """Outputs equal inputs, as after a server-side apply that changed nothing, plus what ``observe`` adds;
    IDs are ``namespace/name``."""

    def __init__(self, observe: ObserveApplied | None) -> None:
        self.observe = observe

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if self.observe is not None:
            state = dict(self.observe(args.typ, state))
        metadata = state.get("metadata")
        if isinstance(metadata, dict) and "name" in metadata:
            namespace = metadata.get("namespace")
            resource_id = f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
        else:
            resource_id = f"{args.name}-id"
        return resource_id, state

    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        return {}, None


class _Recorder:
    def __init__(self, observe: ObserveApplied | None = None, *, dry_run: bool = False) -> None:
        self.resources: list[RegisteredResource] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}
        self.observe = observe
        self.dry_run = dry_run

    def plain(self, value: Any) -> Any:
        """A deserialized value made plain; in a preview, each unknown named ``UNKNOWN``."""
        return _plain(_named_unknowns(value) if self.dry_run else value)

    def record(self, request: Any, urn: str, raw_inputs: Mapping[str, Any]) -> None:
        secret_keys = frozenset(key for key, value in raw_inputs.items() if _is_secret(value))
        inputs = {key: self.plain(value) for key, value in raw_inputs.items()}
        inputs = {key: value for key, value in inputs.items() if value is not None}
        options = ResourceOptionsRecord(
            parent=request.parent,
            depends_on=tuple(request.dependencies),
            replace_on_changes=tuple(request.replaceOnChanges),
            ignore_changes=tuple(request.ignoreChanges),
            protect=bool(request.protect),
            delete_before_replace=bool(request.deleteBeforeReplace),
            provider=request.provider,
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            # An alias is a protobuf message: its text form on one line is readable and stable.
            aliases=tuple(" ".join(str(alias).split()) for alias in request.aliases)
            + tuple(request.aliasURNs),
            retain_on_delete=bool(request.retainOnDelete),
            import_id=str(request.importId),
        )
        self.resources.append(
            RegisteredResource(
                urn, request.type, request.name, bool(request.custom), inputs, secret_keys, options
            )
        )


@contextlib.contextmanager
def _isolated_runtime(
    project: str,
    stack: str,
    *,
    config: dict[str, str],
    secret_keys: Sequence[str],
    recorder: _Recorder,
    workdir: Path | None,
    dry_run: bool,
) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop, settings and config for one run; everything is reset afterwards."""
    previous_cwd = Path.cwd()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SDK sends each registration from an executor thread, which makes itself an event loop; give every
    # worker one we own and close them all afterwards (left to the garbage collector, they fail at exit).
    worker_loops: list[asyncio.AbstractEventLoop] = []

    def give_worker_a_loop() -> None:
        worker_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(worker_loop)
        worker_loops.append(worker_loop)

    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(
            thread_name_prefix="kvplan-mock", initializer=give_worker_a_loop
        )
    )
    settings.reset_options(project=project, stack=stack)
    runtime_config.set_all_config(config, list(secret_keys))
    monitor = _RecordingMonitor(recorder)
    features = monitor.GetDeploymentInfo(None).supportedFeatures  # type: ignore[no-untyped-call]
    settings.configure(
        mocks.MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor,
            monitor_features=set(features),
            engine=mocks.MockEngine(None),
            project=project,
            stack=stack,
            dry_run=dry_run,
            organization="organization",
            callbacks=None,
        )
    )
    try:
        if workdir is not None:
            os.chdir(workdir)
        yield loop
    finally:
        os.chdir(previous_cwd)
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_default_executor())
        for worker_loop in worker_loops:
            worker_loop.close()
        loop.close()
        asyncio.set_event_loop(None)
        settings.reset_options()
        runtime_config.set_all_config({}, [])


def _run_in_stack(
    loop: asyncio.AbstractEventLoop,
    program: Callable[[], object],
    program_root: Path | None,
    description: str,
) -> tuple[dict[str, Any], frozenset[str]]:
    """Run ``program`` inside a Stack as the Python language host does, then resolve its stack outputs."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    roots: list[Any] = []

    def in_stack() -> None:
        program()
        roots.append(settings.get_root_resource())

    try:
        loop.run_until_complete(runtime_stack.run_in_stack(in_stack))
        exported: Mapping[str, Any] = getattr(roots[0], "outputs", {}) if roots else {}
        return loop.run_until_complete(_resolve_outputs(exported))
    except UserError as error:
        raise DesiredStateError(error.title, error.problems) from None
    except pulumi.RunError as error:
        raise DesiredStateError.one(
            "The Pulumi program failed", description, str(error), "fix the program, or its stack config"
        ) from None
    except Exception as error:
        raise _unexpected(error, program_root, description) from None


async def _resolve_outputs(exported: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in exported.items():
        output = pulumi.Output.from_input(value)
        values[key] = _plain(await output.future())
        if await output.is_secret():
            secret.add(key)
    return values, frozenset(secret)


def _unexpected(error: BaseException, program_root: Path | None, description: str) -> DesiredStateError:
    """Name the failing line of the user's program (not our internals) without a traceback."""
    where = ""
    trace = error.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        inside = program_root is not None and filename.startswith(str(program_root))
        if inside and "site-packages" not in filename:
            where = f" at {filename}:{trace.tb_lineno}"
        trace = trace.tb_next
    return DesiredStateError.one(
        "The Pulumi program failed",
        description,
        f"running it raised {type(error).__name__}{where}: {error}",
        "fix the program there; if the line is inside pulumi-kubevirt, report it as a bug",
    )


def _named_unknowns(value: Any) -> Any:
    """``value`` with each SDK ``Unknown`` (a value a preview does not know yet) named ``UNKNOWN``."""
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _named_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_named_unknowns(item) for item in value]
    return value
