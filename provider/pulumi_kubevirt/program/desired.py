"""The desired state of a stack: what its Pulumi program would apply.

No Pulumi CLI, backend or cluster. An unmodified fleet program's stack is compiled straight from its config;
any other program's ``__main__`` runs in this process under Pulumi's mock runtime (``program/runtime.py``),
with the stack's config read from ``Pulumi.<stack>.yaml``. What pulumi-kubernetes would send to the API
server is exactly the inputs each ``kubernetes:*`` resource registers, so those are the manifests.

``secure:`` config values are ciphertext without the CLI: they become :data:`SECURE_PLACEHOLDER` and are
marked secret. Values a program marks secret stay real in :attr:`DesiredState.manifests` (the plan engine
compares them) and are replaced in :meth:`DesiredState.redacted`, which is all the CLI ever prints.
"""

from __future__ import annotations

import ast
import contextlib
import json
import runpy
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.compile import emit as manifest_tools
from pulumi_kubevirt.core.errors import Problem, UserError, ValidationError
from pulumi_kubevirt.spec import FleetArgs, StackContext
from pulumi_kubevirt.spec.fleet import load_fleet_with_secrets
from pulumi_kubevirt.spec.validate import content

SECURE_PLACEHOLDER = content.SECURE_PLACEHOLDER
"""What a program reads for a ``secure:`` config value: the real value needs the Pulumi CLI to decrypt (one
value, shared with the cloud-init content checks, which skip it)."""

REDACTED = manifest_tools.REDACTED
"""What output shows instead of a value the program marked secret (the same mark as Secret data)."""

UNKNOWN = "<unknown>"
"""What output shows for an input not known yet (a preview of a value taken from a resource to be created)."""

_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_KUBERNETES_TYPE_PREFIX = "kubernetes:"
_PATCH_TYPE_SUFFIX = "Patch"
_STACK_TYPE = "pulumi:pulumi:Stack"

Manifest = dict[str, Any]

ObserveApplied = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]
"""``(type token, inputs) -> outputs``: what the cluster would report for a resource once it is applied."""


class DesiredStateError(UserError):
    """The program's desired state could not be collected (the project or stack file is missing or broken, the
    program is not valid or it failed); ``str()`` is a message for users (a title, then each problem)."""

    @classmethod
    def one(cls, title: str, where: str, message: str, fix: str, why: str = "") -> DesiredStateError:
        return cls(title, [Problem(where, message, fix, why)])


@dataclass(frozen=True, slots=True)
class ResourceOptionsRecord:
    """The resource options one registration carried, as the engine would receive them (URNs, not objects)."""

    parent: str = ""
    depends_on: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    protect: bool = False
    delete_before_replace: bool = False
    provider: str = ""
    additional_secret_outputs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    retain_on_delete: bool = False
    import_id: str = ""
    """Pulumi's ``import`` option: the id of an existing object to adopt (empty: create)."""


@dataclass(frozen=True, slots=True)
class RegisteredResource:
    """One resource the program registered: a component, a provider or a Kubernetes object."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: Mapping[str, Any]
    secret_keys: frozenset[str]
    options: ResourceOptionsRecord

    @property
    def is_kubernetes_object(self) -> bool:
        """A whole object we apply; a ``*Patch`` resource only changes fields of an object another owns."""
        return (
            self.custom
            and self.type.startswith(_KUBERNETES_TYPE_PREFIX)
            and not self.type.endswith(_PATCH_TYPE_SUFFIX)
        )

    @property
    def provider_urn(self) -> str:
        """The URN part of the provider reference (``urn::id``)."""
        return self.options.provider.rpartition("::")[0] if self.options.provider else ""


@dataclass(frozen=True, slots=True)
class DesiredState:
    """What a stack's program would apply: the objects, the resources and options behind them, its outputs."""

    project: str
    stack: str
    manifests: tuple[Manifest, ...]
    resources: tuple[RegisteredResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    component_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """What each component registered as its outputs, by URN (real values, like :attr:`manifests`)."""
    fleet: FleetArgs | None = None
    """The fleet the objects were compiled from, for a config-driven stack (``kvplan plan`` checks the
    cluster-dependent rules on it); ``None`` for a program run."""

    def redacted(self) -> tuple[Manifest, ...]:
        """The manifests with every secret value replaced: safe to print, log or store."""
        by_identity = {_identity(resource.inputs): resource for resource in self.resources}
        out: list[Manifest] = []
        for manifest in self.manifests:
            resource = by_identity.get(_identity(manifest))
            hidden = resource.secret_keys if resource is not None else frozenset()
            masked = {key: (_mask(value) if key in hidden else value) for key, value in manifest.items()}
            out.extend(_scrub_placeholders(clean) for clean in manifest_tools.redact_secrets([masked]))
        return tuple(out)

    def redacted_outputs(self) -> dict[str, Any]:
        """Stack outputs with secret ones replaced."""
        return {
            key: (_mask(value) if key in self.secret_outputs else _scrub_placeholders(value))
            for key, value in sorted(self.outputs.items())
        }

    def to_yaml(self) -> str:
        """Multi-document YAML of the redacted manifests, in the stable apply order."""
        return manifest_tools.dump_yaml(list(self.redacted()))

    def by_type(self, type_token: str) -> tuple[RegisteredResource, ...]:
        return tuple(resource for resource in self.resources if resource.type == type_token)


@dataclass(frozen=True, slots=True)
class ProgramLocation:
    """Where a program lives and which config a stack gives it."""

    project: str
    project_dir: Path
    main: Path
    config: Mapping[str, str]
    secret_keys: tuple[str, ...]


def locate_program(program_dir: Path, stack: str) -> ProgramLocation:
    """Read ``Pulumi.yaml`` (following ``main:``) and ``Pulumi.<stack>.yaml`` into runtime config strings."""
    project_file = _project_file(program_dir.resolve())
    project_dir = project_file.parent
    project_doc = _load_yaml(project_file)
    if not isinstance(project_doc, dict) or not isinstance(project_doc.get("name"), str):
        raise DesiredStateError.one(
            "Cannot read the Pulumi project",
            str(project_file),
            "the file has no project `name`",
            "add a line `name: <project>` to it",
        )
    project = project_doc["name"]
    main_value = project_doc.get("main")
    main = (project_dir / str(main_value)).resolve() if main_value else project_dir
    if not (main.is_file() or (main / "__main__.py").is_file()):
        where = f"{project_file} (main: {main_value})" if main_value else str(project_dir)
        raise DesiredStateError.one(
            "Cannot find the Pulumi program",
            where,
            f"{main} has no __main__.py",
            "add the program there, or point `main:` in Pulumi.yaml at it",
        )
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        listed = ", ".join(known) if known else "none"
        raise DesiredStateError.one(
            f"Unknown stack {stack!r}",
            str(stack_file),
            f"the stack file does not exist (stacks found: {listed})",
            "pass one of those to --stack, or create the stack file",
            "the stack file holds the stack's config, which the program needs",
        )
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    _collect_project_defaults(project, project_doc.get("config"), config)
    stack_doc = _load_yaml(stack_file) or {}
    if not isinstance(stack_doc, dict):
        raise DesiredStateError.one(
            "Cannot read the stack file",
            str(stack_file),
            "the file is not a YAML mapping",
            "make it one, with the config under a `config:` key",
        )
    stack_config = stack_doc.get("config") or {}
    if not isinstance(stack_config, dict):
        raise DesiredStateError.one(
            "Cannot read the stack file",
            f"{stack_file}: config",
            "`config` is not a mapping",
            "write it as `key: value` lines",
        )
    for raw_key, raw_value in stack_config.items():
        key = _full_key(project, str(raw_key))
        value, is_secret = _replace_secure(raw_value)
        config[key] = _config_string(value)
        if is_secret:
            secret_keys.add(key)
    return ProgramLocation(project, project_dir, main, config, tuple(sorted(secret_keys)))


def desired_state_of_stack(program_dir: Path, stack: str, *, runtime: bool = False) -> DesiredState:
    """The desired state of ``stack``: what the program in ``program_dir`` would apply.

    An unmodified fleet program is compiled straight from the stack's config (:func:`compile_fleet_stack`):
    the same objects, byte for byte, without the Pulumi runtime, whose cost per resource grows with the
    number of resources. Any other program, or ``runtime=True``, runs under the mock runtime.
    """
    location = locate_program(Path(program_dir), stack)
    fleet_config = None if runtime else config_driven_fleet(location)
    if fleet_config is not None:
        return compile_fleet_stack(location, stack, fleet_config)
    main = str(location.main)
    program_dir_on_path = str(location.main if location.main.is_dir() else location.main.parent)

    def program() -> None:
        sys.path.insert(0, program_dir_on_path)
        try:
            runpy.run_path(main, run_name="__main__")
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(program_dir_on_path)

    return desired_state_of_program(
        program,
        project=location.project,
        stack=stack,
        config=location.config,
        secret_keys=location.secret_keys,
        workdir=Path(program_dir_on_path),
        program_root=location.project_dir,
        description=str(location.main),
    )


# --- config-driven stacks, without the Pulumi runtime ----------------------------------------------

FLEET_CONFIG_KEY = "kubevirt:fleet"
FLEET_PROGRAM_MODULE = "pulumi_kubevirt.components.fleet_program"
FLEET_PROGRAM_FUNCTION = "run_fleet_program"


def is_fleet_program(main: Path) -> bool:
    """True when ``main`` is the fleet program unchanged: apart from docstrings, it imports
    ``run_fleet_program`` and calls it, nothing else (``programs/fleet/__main__.py``)."""
    source = main / "__main__.py" if main.is_dir() else main
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    body = [node for node in tree.body if not _is_docstring(node)]
    if len(body) != 2:
        return False
    imported, called = body
    return (
        isinstance(imported, ast.ImportFrom)
        and imported.module == FLEET_PROGRAM_MODULE
        and imported.level == 0
        and [(alias.name, alias.asname) for alias in imported.names] == [(FLEET_PROGRAM_FUNCTION, None)]
        and isinstance(called, ast.Expr)
        and isinstance(called.value, ast.Call)
        and isinstance(called.value.func, ast.Name)
        and called.value.func.id == FLEET_PROGRAM_FUNCTION
        and not called.value.args
        and not called.value.keywords
    )


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def config_driven_fleet(location: ProgramLocation) -> Mapping[str, Any] | None:
    """The stack's ``kubevirt:fleet`` mapping when the program is the unmodified fleet program, else None.

    None also when the key is missing or not a mapping: the program then runs, and reports that exactly as
    ``pulumi preview`` would.
    """
    if not is_fleet_program(location.main):
        return None
    try:
        value = json.loads(location.config.get(FLEET_CONFIG_KEY, ""))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def compile_fleet_stack(
    location: ProgramLocation, stack: str, fleet_config: Mapping[str, Any]
) -> DesiredState:
    """The fleet program's objects for ``stack``, compiled from its config in this process.

    The fleet program builds ``Fleet("fleet", fleet_from_config(...))``, and every component registers exactly
    the manifests :func:`~pulumi_kubevirt.compile.compile_fleet` returns; both read the config through
    :func:`~pulumi_kubevirt.spec.fleet.load_fleet_with_secrets`, so the objects are the same (a property test
    compares both paths on every stack and on generated fleets). No resources or stack outputs are recorded:
    only a program run has them.
    """
    prefix = FLEET_CONFIG_KEY.split(":", 1)[0] + ":"
    try:
        fleet = load_fleet_with_secrets(fleet_config, lambda key: location.config.get(prefix + key))
    except ValidationError as error:
        raise DesiredStateError(error.title, error.problems) from None
    manifests = compile_fleet(fleet, StackContext(project=location.project, stack=stack))
    return DesiredState(location.project, stack, tuple(dict(m) for m in manifests), resources=(), fleet=fleet)


def desired_state_of_program(
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
    reset afterwards): see :func:`pulumi_kubevirt.program.runtime.run_program`. ``dry_run`` runs it as
    ``pulumi preview`` does.

    Pulumi's SDK is imported only here, when a program must run: a config-driven stack never pays for it.
    """
    from pulumi_kubevirt.program.runtime import run_program

    return run_program(
        program,
        project=project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        workdir=workdir,
        program_root=program_root,
        description=description,
        observe=observe,
        dry_run=dry_run,
    )


# --- config ---------------------------------------------------------------------------------------


def _project_file(program_dir: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        candidate = program_dir / name
        if candidate.is_file():
            return candidate
    raise DesiredStateError.one(
        "Not a Pulumi project",
        str(program_dir),
        "the directory has no Pulumi.yaml",
        "pass the directory that holds Pulumi.yaml and the Pulumi.<stack>.yaml files",
    )


_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: a 5,000-VM stack file parses in a fraction of the time."""


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise DesiredStateError.one(
            f"Cannot read {path.name}",
            f"{path}{where}",
            f"not valid YAML: {getattr(error, 'problem', error)}",
            "fix the YAML syntax there",
        ) from None


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _collect_project_defaults(project: str, declared: Any, config: dict[str, str]) -> None:
    """``config:`` in Pulumi.yaml: ``key: value`` or ``key: {default: value}`` become defaults."""
    if not isinstance(declared, dict):
        return
    for raw_key, raw_value in declared.items():
        value = raw_value.get("default") if isinstance(raw_value, dict) else raw_value
        if value is not None and not (isinstance(raw_value, dict) and "default" not in raw_value):
            config[_full_key(project, str(raw_key))] = _config_string(value)


def _replace_secure(value: Any) -> tuple[Any, bool]:
    """Swap each ``{secure: ...}`` for the placeholder; say whether there was one (the key is then secret)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE_PLACEHOLDER, True
        found = False
        replaced: dict[str, Any] = {}
        for key, item in value.items():
            replaced[key], item_secret = _replace_secure(item)
            found = found or item_secret
        return replaced, found
    if isinstance(value, list):
        items = [_replace_secure(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _config_string(value: Any) -> str:
    """Config reaches a program as strings; structured values as JSON, as the Pulumi CLI passes them."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


# --- values ---------------------------------------------------------------------------------------


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SECRET_SIG_KEY) == _SECRET_SIG


def _plain(value: Any) -> Any:
    """Unwrap secrets, drop nulls, and give back integers that protobuf turned into floats."""
    if _is_secret(value):
        return _plain(value.get("value"))
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return REDACTED


def _scrub_placeholders(value: Any) -> Any:
    """A secure value read as plain config could land anywhere: hide any string that carries one."""
    if isinstance(value, dict):
        return {key: _scrub_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_placeholders(item) for item in value]
    if isinstance(value, str) and SECURE_PLACEHOLDER in value:
        return REDACTED
    return value


def _identity(manifest: Mapping[str, Any]) -> tuple[str, str, str, str]:
    metadata = manifest.get("metadata") or {}
    return (
        str(manifest.get("apiVersion", "")),
        str(manifest.get("kind", "")),
        str(metadata.get("namespace", "")) if isinstance(metadata, dict) else "",
        str(metadata.get("name", "")) if isinstance(metadata, dict) else "",
    )
