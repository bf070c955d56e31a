"""The plan inside ``pulumi preview``: each component hears what its changes do to running guests.

Why here and not only in ``kvplan plan``: reviewers run ``pulumi preview``, and pulumi-kubernetes' diff
cannot say that a change restarts a VM or loses a disk's data. So during a preview
(``pulumi.runtime.is_dry_run()``, never during ``up``'s apply phase) every component hands its desired
manifests to one process-wide collector. Once the program has been built, the collector reads the cluster
ONCE for all of them (one LIST per kind and namespace), makes the same plan as ``kvplan plan``, and reports
each disruptive change once, as a warning on its component.

Stack config:

- ``kubevirt:previewPlan: false`` turns it off.
- ``kubevirt:disruption`` maps an impact to ``allow`` (silent), ``warn`` or ``fail`` (the preview fails with
  an error naming the resource, the change and the config key), e.g. ``{destroys-data: fail, restart: warn}``.
  The policy and its defaults live in :mod:`pulumi_kubevirt.plan.gate`, which ``kvplan plan`` uses too; the
  wording of each message is the plan renderers' (:mod:`pulumi_kubevirt.plan.report.common`).

An unreachable cluster is one informational message, never a failure: previews must work offline.
Components call :func:`watch_preview` once, at the end of their constructor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from pulumi_kubevirt.core.errors import Problem, UserError
from pulumi_kubevirt.plan.gate import (
    CONFIG_NAMESPACE,
    DISRUPTION_KEY,
    Disposition,
    DisruptionPolicy,
    Finding,
    resource_findings,
)
from pulumi_kubevirt.plan.model import Plan, PlanError, ResourcePlan
from pulumi_kubevirt.plan.report.common import (
    finding_text,
    pending_restart_text,
    plan_error_problem,
    refusal_problem,
    refusal_title,
)
from pulumi_kubevirt.plan.state import LiveState, ObjectKey
from pulumi_kubevirt.spec import VirtualMachineArgs
from pulumi_kubevirt.spec.validate import ClusterSettings, check_vms, cluster_settings

Manifest = Mapping[str, Any]
LiveReader = Callable[[Sequence[Manifest], str, str], LiveState]
"""``(desired, project, stack) -> LiveState``; raises on an unreachable cluster."""

PREVIEW_PLAN_KEY = "previewPlan"
KUBERNETES_NAMESPACE = "kubernetes"
PREVIEW_READ_TIMEOUT_S = 15.0
"""A preview waits this long at most for the cluster; after that it goes on without the plan."""


class PreviewConfigError(UserError, pulumi.RunError):
    """``kubevirt:disruption`` is malformed; the message lists every problem with its config path."""


class DisruptionRefused(UserError, pulumi.RunError):
    """Changes whose impact the stack's policy sets to ``fail``; names each one and how to allow it."""


class PlanErrors(UserError, pulumi.RunError):
    """Changes the plan finds wrong (the API server would refuse them, or they lose data not allowed to)."""


@dataclass(frozen=True, slots=True)
class PreviewMessage:
    """One thing to tell the user about one object: a warning, or an error (refused, or a plan error)."""

    key: ObjectKey
    text: str
    finding: Finding | None = None
    error: PlanError | None = None

    @property
    def refused(self) -> bool:
        return self.finding is not None and self.finding.disposition is Disposition.FAIL


def resource_messages(res: ResourcePlan, policy: DisruptionPolicy) -> list[PreviewMessage]:
    """What the preview says about one object: each change the policy does not allow, then each plan error."""
    found = [PreviewMessage(res.key, finding_text(f), f) for f in resource_findings(res, policy)]
    found += [PreviewMessage(res.key, plan_error_problem(error).line(), error=error) for error in res.errors]
    unique = {message.text: message for message in found}
    return list(unique.values())


def policy_from_config(config: pulumi.Config) -> DisruptionPolicy:
    """``kubevirt:disruption`` from this run's stack config (the gate module parses it, as kvplan does)."""
    try:
        return DisruptionPolicy.from_config_text(config.get(DISRUPTION_KEY))
    except UserError as error:
        raise PreviewConfigError(error.title, error.problems) from None


# --- the process-wide collector -------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    component: pulumi.Resource
    manifests: pulumi.Output[Any]
    keys: frozenset[ObjectKey] = frozenset()
    value: Sequence[Manifest] | None = None
    known: bool = False
    resolved: bool = False


@dataclass(slots=True)
class PreviewPlanner:
    """Collects every component's desired manifests for one program run, reads the cluster once, reports."""

    project: str
    stack: str
    policy: DisruptionPolicy
    read: LiveReader
    entries: list[_Entry] = field(default_factory=list)
    reads: int = 0
    reported: set[tuple[str, str]] = field(default_factory=set)
    _pending: list[_Entry] = field(default_factory=list)
    _task: pulumi.Output[Any] | None = None

    def watch(self, component: pulumi.Resource, manifests: pulumi.Input[Sequence[Manifest]]) -> None:
        entry = _Entry(component, pulumi.Output.from_input(manifests))
        self.entries.append(entry)
        self._pending.append(entry)
        if self._task is None:
            self._task = _tracked(self._run())

    async def _run(self) -> None:
        batch = await self._collect()
        self._task = None  # a component watched from now on (inside an apply) starts the next batch
        await self._plan(batch)

    async def _collect(self) -> list[_Entry]:
        """Wait for every watched component's manifests, also of components watched in the meantime."""
        batch: list[_Entry] = []
        while self._pending:
            current, self._pending = self._pending, []
            for entry in current:
                entry.known = await entry.manifests.is_known()
                entry.value = await entry.manifests.future() if entry.known else None
                entry.resolved = True
            batch += current
            await asyncio.sleep(0)
        return batch

    async def _plan(self, batch: list[_Entry]) -> None:
        from pulumi_kubevirt.plan.planner import make_plan

        # A later batch (components built inside an apply) plans with everything known so far, so the
        # objects of earlier components are not mistaken for deletions; reports are deduplicated.
        known = [
            entry for entry in self.entries if entry.resolved and entry.known and entry.value is not None
        ]
        for entry in batch:
            if not entry.known:
                pulumi.log.info(
                    "kubevirt: no runtime-impact plan for this component: its manifests depend on values "
                    "known only after the update.",
                    resource=entry.component,
                )
        if not any(entry.known for entry in batch):
            return
        desired: list[Manifest] = []
        for entry in known:
            manifests = [dict(m) for m in entry.value or ()]
            entry.keys = frozenset(ObjectKey.of(m) for m in manifests)
            desired += manifests
        self.reads += 1
        loop = asyncio.get_running_loop()
        try:
            live = await loop.run_in_executor(None, self.read, desired, self.project, self.stack)
        except Exception as error:  # an unreachable cluster must never fail a preview
            pulumi.log.info(
                "kubevirt: cluster not readable, so the preview shows no runtime-impact plan "
                f"({_first_problem(error)}). Set {CONFIG_NAMESPACE}:{PREVIEW_PLAN_KEY} to false to skip this "
                "step."
            )
            _check_cluster_rules(batch, None)
            return
        kubevirt = getattr(live, "kubevirt", None)
        _check_cluster_rules(batch, cluster_settings(kubevirt) if kubevirt is not None else None)
        plan = make_plan(desired, live, project=self.project, stack=self.stack)
        for entry in known:
            await entry.component.urn.future()  # resolved now, so each message below is delivered promptly
        try:
            self._report(plan, known)
        finally:
            # pulumi.log sends a message tied to a resource from a task it does not track; let those run
            # before this Output completes, or a program that ends right after could drop them.
            for _ in range(3):
                await asyncio.sleep(0)

    def _report(self, plan: Plan, entries: Sequence[_Entry]) -> None:
        owner_of = {key: entry.component for entry in entries for key in entry.keys}
        refused: list[Finding] = []
        wrong: list[PlanError] = []
        for res in plan.resources:
            component = owner_of.get(res.key)
            if res.pending_restart is not None:
                self._once(component, pending_restart_text(res.key, res.pending_restart), pulumi.log.warn)
            for message in resource_messages(res, self.policy):
                if message.refused and message.finding is not None:
                    text = f"refused by {message.finding.origin}: {message.text}"
                    if self._once(component, text, pulumi.log.error):
                        refused.append(message.finding)
                elif message.error is not None:
                    if self._once(component, message.text, pulumi.log.error):
                        wrong.append(message.error)
                else:
                    self._once(component, message.text, pulumi.log.warn)
        if wrong:
            raise PlanErrors(
                "The plan finds changes that cannot be applied as written",
                [plan_error_problem(error) for error in wrong],
            )
        if refused:
            raise DisruptionRefused(refusal_title(len(refused)), [refusal_problem(f) for f in refused])

    def _once(self, component: pulumi.Resource | None, text: str, log: Callable[..., None]) -> bool:
        """Log ``text`` on ``component`` unless it was said there already (a later batch replans)."""
        marker = (str(id(component)), text)
        if marker in self.reported:
            return False
        self.reported.add(marker)
        log(text, component)
        return True


def _first_problem(error: Exception) -> str:
    """The title and first problem of a ``UserError`` (the live reader's), else the message's first line."""
    if isinstance(error, UserError) and error.problems:
        return f"{error.title.rstrip('.:')}: {error.problems[0].line()}"
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ClusterRulesRefused(UserError, pulumi.RunError):
    """Rules the cluster's settings decide (``spec.validate.cluster``) that the cluster read refuses."""


def _check_cluster_rules(entries: Sequence[_Entry], settings: ClusterSettings | None) -> None:
    """The rules that depend on the cluster's settings, for each VirtualMachine component of the batch.

    With the KubeVirt CR read they are errors that fail the preview; without it (unreadable cluster, no CR)
    they are warnings naming the setting they depend on (``spec.validate.cluster``).
    """
    errors: list[Problem] = []
    for entry in entries:
        args = getattr(entry.component, "args", None)
        if not isinstance(args, VirtualMachineArgs):
            continue
        findings = check_vms([(args, "args")], settings)
        for problem in findings.errors:
            pulumi.log.error(f"kubevirt: {problem.line()}", entry.component)
        for problem in findings.warnings:
            pulumi.log.warn(f"kubevirt: {problem.line()}", entry.component)
        errors += findings.errors
    if errors:
        raise ClusterRulesRefused("The cluster refuses these VirtualMachines", errors, sorted_problems=True)


def _tracked(work: Any) -> pulumi.Output[Any]:
    """An Output over ``work``: Pulumi waits for it before the program ends and fails the run if it raises."""
    loop = asyncio.get_event_loop()
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(True)
    return pulumi.Output(set(), asyncio.ensure_future(work), known)


_CURRENT: list[tuple[object, PreviewPlanner]] = []


def _run_identity() -> object:
    """The program run in progress: its root Stack resource (fresh for every run, also under mocks)."""
    from pulumi.runtime import settings

    return settings.get_root_resource() or settings.SETTINGS


def current_planner(read: LiveReader | None = None) -> PreviewPlanner | None:
    """This program run's collector, created on first use; None when previewPlan is off or not a preview."""
    if not pulumi.runtime.is_dry_run():
        return None
    config = pulumi.Config(CONFIG_NAMESPACE)
    enabled = config.get_bool(PREVIEW_PLAN_KEY)
    if enabled is False:
        return None
    run = _run_identity()
    if _CURRENT and _CURRENT[0][0] is run:
        return _CURRENT[0][1]
    planner = PreviewPlanner(
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        policy=policy_from_config(config),
        read=read or ClusterAccess.from_config().reader(),
    )
    _CURRENT[:] = [(run, planner)]
    return planner


def watch_preview(component: pulumi.Resource, manifests: pulumi.Input[Sequence[Manifest]]) -> None:
    """Plan ``component``'s objects during a preview and warn about disruptive changes (no-op otherwise).

    Call it once at the end of a component's constructor with the manifests its children carry.
    """
    planner = current_planner()
    if planner is not None:
        planner.watch(component, manifests)


# --- reading the cluster ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClusterAccess:
    """Which credentials to read with, taken from stack config on the program's thread (config is per run).

    ``kubeconfig`` is ``kubernetes:kubeconfig`` (a path or a file's contents), ``context`` is
    ``kubernetes:context``; both empty means kubectl's own lookup (``KUBECONFIG``, ``~/.kube/config``).
    """

    kubeconfig: str = ""
    context: str = ""

    @classmethod
    def from_config(cls) -> ClusterAccess:
        config = pulumi.Config(KUBERNETES_NAMESPACE)
        return cls(config.get("kubeconfig") or "", config.get("context") or "")

    def reader(self) -> LiveReader:
        """A reader that makes one live read with these credentials (safe to call from a worker thread)."""

        def read(desired: Sequence[Manifest], project: str, stack: str) -> LiveState:
            from pulumi_kubevirt.live import read_live

            api = self.api_client()
            try:
                return read_live(api, desired, project=project, stack=stack, timeout_s=PREVIEW_READ_TIMEOUT_S)
            finally:
                api.close()

        return read

    def api_client(self) -> Any:
        from kubernetes import client as k8s_client
        from kubernetes import config as k8s_config

        from pulumi_kubevirt.live import load_kube_config
        from pulumi_kubevirt.live.kubeconfig import KubeApiClient

        context = self.context or None
        path = Path(self.kubeconfig).expanduser() if self.kubeconfig and "\n" not in self.kubeconfig else None
        if path is not None and path.is_file():
            return load_kube_config(str(path), context)
        if self.kubeconfig:
            import yaml

            configuration = k8s_client.Configuration()
            k8s_config.load_kube_config_from_dict(  # type: ignore[no-untyped-call]
                yaml.safe_load(self.kubeconfig), context=context, client_configuration=configuration
            )
            api = KubeApiClient(configuration=configuration)
            api.context_name = context or "kubernetes:kubeconfig"
            return api
        return load_kube_config(None, context)
