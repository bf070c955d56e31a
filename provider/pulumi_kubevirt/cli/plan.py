"""``kvplan plan``, ``drift`` and ``show``: what an apply would do, what drifted, a saved plan again.

Desired state comes from rendering the program exactly as ``kvplan render`` does (in-memory secret values,
so Secrets compare); live state from one read of the cluster (``read_live``). Output never carries a secret
value: the planner and the drift detector redact them before any renderer sees them.

Exit codes: 0 no changes / no drift, 1 error (bad input, unreachable cluster, a change the API would reject),
2 changes (``plan --detailed-exitcode``) or drift, 3 the disruption gate refused a change: the stack's
``kubevirt:disruption`` (the same policy ``pulumi preview`` enforces, :mod:`pulumi_kubevirt.plan.gate`), or
``--fail-on``, which replaces it.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import enum
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pulumi_kubevirt.cli.progress import Progress
from pulumi_kubevirt.core.errors import UserError, user_error
from pulumi_kubevirt.plan.gate import CONFIG_KEY, DisruptionPolicy, Verdict, judge
from pulumi_kubevirt.plan.model import DriftFinding, DriftKind, Impact, Plan
from pulumi_kubevirt.plan.report.github import Annotations
from pulumi_kubevirt.plan.state import LiveState, ObjectKey
from pulumi_kubevirt.spec.model import FleetArgs

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_GATE = 3

DEFAULT_TIMEOUT_S = 60.0
MIN_MARKDOWN_CHARS = 1000
"""The shortest ``--max-chars``: the heading, the summary line and the note saying what was folded."""


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


class Gate(enum.StrEnum):
    """``--fail-on`` thresholds: the plan fails the gate when its most severe impact reaches this one."""

    RESTART = "restart"
    REPLACE = "replace"
    DESTROYS_DATA = "destroys-data"

    @property
    def impact(self) -> Impact:
        return Impact(self.value)


@dataclasses.dataclass(frozen=True, slots=True)
class Observed:
    """Desired manifests and the live state read for them, with the names the stack goes by."""

    project: str
    stack: str
    desired: tuple[Mapping[str, Any], ...]
    live: LiveState
    fleet: FleetArgs | None = None
    """The fleet behind a config-driven stack: its cluster-dependent rules are checked against ``live``."""


def register(sub: Any) -> None:
    """Add the plan, drift and show subcommands."""
    plan = sub.add_parser(
        "plan",
        help="what applying the program would do to each object and to the running guests",
        description=(
            "Render PROGRAM_DIR for STACK, read the cluster, and print what an apply would change: the "
            "action per object and its impact on running VMs (none, no-effect, live, live-migration, "
            "restart, replace, destroys-data). Exit 0 no changes, 1 error, 2 changes (--detailed-exitcode), "
            f"3 the disruption gate refused a change (the stack's {CONFIG_KEY}, or --fail-on instead)."
        ),
    )
    _add_cluster_arguments(plan)
    plan.add_argument(
        "--format",
        choices=[f.value for f in OutputFormat],
        default=OutputFormat.TEXT.value,
        help="output form",
    )
    plan.add_argument(
        "--out", metavar="PLAN.json", type=Path, help="also write the plan as JSON to this file"
    )
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when the plan has changes (0 when it has none)",
    )
    plan.add_argument(
        "--fail-on",
        choices=[g.value for g in Gate],
        help=(
            f"exit 3 when any change has this impact or a more severe one; replaces the stack's {CONFIG_KEY} "
            "(without it, the stack's policy gates, as in pulumi preview)"
        ),
    )
    plan.add_argument(
        "--drain",
        metavar="NODE",
        help=(
            "also report what draining NODE does to each of the stack's VMs running there (migrates, "
            "shuts-down, blocks-drain, waits-for-external), from their live eviction strategy and "
            "LiveMigratable condition"
        ),
    )
    plan.add_argument("--verbose", action="store_true", help="list unchanged objects and each rule's source")
    add_max_chars_argument(plan)
    add_annotations_argument(plan, "rejected and gated changes")
    plan.set_defaults(handler=run_plan)

    drift = sub.add_parser(
        "drift",
        help="fields the code owns that differ in the cluster, and which field manager changed them",
        description=(
            "Compare the live objects with the rendered program on the fields the code declares. Fields "
            "KubeVirt writes itself are never drift (--verbose lists them). "
            "Exit 0 no drift, 1 error, 2 drift."
        ),
    )
    _add_cluster_arguments(drift)
    drift.add_argument(
        "--format",
        choices=[f.value for f in OutputFormat],
        default=OutputFormat.TEXT.value,
        help="output form",
    )
    drift.add_argument("--verbose", action="store_true", help="also list the fields the platform wrote")
    add_annotations_argument(drift, "drifted fields")
    drift.set_defaults(handler=run_drift)

    show = sub.add_parser(
        "show",
        help="print a plan (or drift report) saved as JSON again",
        description="Re-render a JSON document written by `kvplan plan --out` or `--format json`.",
    )
    show.add_argument("document", metavar="PLAN.json", type=Path, help="a saved plan or drift report")
    show.add_argument(
        "--format",
        choices=[OutputFormat.TEXT.value, OutputFormat.MARKDOWN.value],
        default=OutputFormat.TEXT.value,
        help="output form",
    )
    show.add_argument("--verbose", action="store_true", help="list unchanged objects and each rule's source")
    add_max_chars_argument(show)
    show.set_defaults(handler=run_show)


def add_max_chars_argument(parser: argparse.ArgumentParser) -> None:
    from pulumi_kubevirt.plan.report.markdown import GITHUB_COMMENT_LIMIT

    parser.add_argument(
        "--max-chars",
        metavar="N",
        type=_positive_int,
        default=GITHUB_COMMENT_LIMIT,
        help=(
            "fold a Markdown plan to at most N characters, worst changes kept (default "
            f"{GITHUB_COMMENT_LIMIT}, a GitHub comment; leave room for what CI adds around it)"
        ),
    )


def _positive_int(text: str) -> int:
    """``--max-chars``: a whole number of characters, large enough for the heading and the fold note."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < MIN_MARKDOWN_CHARS:
        raise argparse.ArgumentTypeError(f"{number} is below {MIN_MARKDOWN_CHARS}, too short for a plan")
    return number


def add_annotations_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--annotations",
        choices=[a.value for a in Annotations],
        default=Annotations.AUTO.value,
        help=(
            f"write GitHub Actions annotations (::error/::warning) for errors and {what} on stderr; auto: "
            "when GITHUB_ACTIONS=true (default auto)"
        ),
    )


def annotating(args: argparse.Namespace) -> bool:
    """Whether to write workflow commands: ``--annotations``, or the Actions runner's environment."""
    return Annotations(getattr(args, "annotations", Annotations.AUTO)).active(os.environ)


def _add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program_dir", metavar="PROGRAM_DIR", type=Path, help="directory holding Pulumi.yaml")
    parser.add_argument("-s", "--stack", required=True, help="stack name: reads Pulumi.<STACK>.yaml")
    parser.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig file (default: KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: its current-context)")
    parser.add_argument(
        "--namespace",
        metavar="NS",
        action="append",
        default=[],
        help="also read this namespace (repeatable): finds the stack's objects whose namespace left the code",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"time limit for reading the cluster, retries included (default {DEFAULT_TIMEOUT_S:g})",
    )


# --- commands -------------------------------------------------------------------------------------


def run_plan(args: argparse.Namespace) -> int:
    from pulumi_kubevirt.plan.report.json_codec import plan_to_json

    policy = disruption_policy(args)
    observed, plan = observe(args, plan_of)
    fmt = OutputFormat(args.format)
    live = observed.live if args.drain else None
    del observed  # the desired and live objects: freed before the output is built, unless a drain reads them
    wanted = args.out is not None or (fmt is OutputFormat.JSON and live is None)
    document = json_text(plan_to_json(plan)) if wanted else ""
    if args.out is not None:
        try:
            args.out.write_text(document, encoding="utf-8")
        except OSError as error:
            raise user_error(
                "Cannot write the plan",
                f"--out {args.out}",
                error.strerror or str(error),
                "choose a writable path for --out",
            ) from None
    if live is not None:
        sys.stdout.write(
            with_drain(
                plan,
                live,
                args.drain,
                fmt,
                verbose=args.verbose,
                stream=sys.stdout,
                max_chars=args.max_chars,
            )
        )
    else:
        sys.stdout.write(
            document
            if fmt is OutputFormat.JSON
            else render_plan(plan, fmt, args.verbose, sys.stdout, max_chars=args.max_chars)
        )
    verdict = judge(plan, policy)
    code = plan_exit_code(plan, detailed=args.detailed_exitcode, verdict=verdict)
    if annotating(args):
        from pulumi_kubevirt.plan.report.github import plan_commands

        sys.stderr.writelines(line + "\n" for line in plan_commands(plan, verdict))
    if code == EXIT_GATE:
        from pulumi_kubevirt.plan.report.common import refusal_problem, refusal_title

        refused = verdict.refused
        sys.stderr.write(str(UserError(refusal_title(len(refused)), map(refusal_problem, refused))) + "\n")
    return code


def plan_of(seen: Observed) -> Plan:
    """The plan for what was seen, with the errors of the fleet's cluster-dependent rules on this cluster."""
    from pulumi_kubevirt.plan.cluster_rules import cluster_rule_errors
    from pulumi_kubevirt.plan.planner import make_plan

    plan = make_plan(seen.desired, seen.live, project=seen.project, stack=seen.stack)
    if seen.fleet is None:
        return plan
    return dataclasses.replace(plan, errors=plan.errors + cluster_rule_errors(seen.fleet, seen.live))


def with_drain(
    plan: Plan,
    live: LiveState,
    node: str,
    fmt: OutputFormat,
    *,
    verbose: bool,
    stream: TextIO,
    max_chars: int,
) -> str:
    """The plan, then the drain report for ``node``: one JSON document with a ``drain`` key, or text."""
    from pulumi_kubevirt.plan.drain import drain_report
    from pulumi_kubevirt.plan.report.drain import drain_text, drain_to_json
    from pulumi_kubevirt.plan.report.json_codec import plan_to_json

    report = drain_report(live, node)
    if fmt is OutputFormat.JSON:
        return json_text({**plan_to_json(plan), "drain": drain_to_json(report)})
    text = drain_text(report, verbose)
    if fmt is OutputFormat.MARKDOWN:
        text = f"#### Drain of `{node}`\n\n```\n{text}```\n"
    return render_plan(plan, fmt, verbose, stream, max_chars=max_chars) + "\n" + text


def disruption_policy(args: argparse.Namespace) -> DisruptionPolicy:
    """``--fail-on`` when given (it replaces the stack's policy), else the stack's ``kubevirt:disruption``.

    The stack file is read the way rendering reads it (project defaults, then ``Pulumi.<stack>.yaml``), so a
    bad policy is reported before the cluster is read, with its config path.
    """
    if args.fail_on:
        return DisruptionPolicy.fail_on(Gate(args.fail_on).impact)
    from pulumi_kubevirt.program.desired import locate_program

    config = locate_program(args.program_dir, args.stack).config
    return DisruptionPolicy.from_config_text(config.get(CONFIG_KEY))


def run_drift(args: argparse.Namespace) -> int:
    from pulumi_kubevirt.plan.drift import detect_drift
    from pulumi_kubevirt.plan.report.json_codec import drift_to_json

    observed, findings = observe(args, lambda seen: detect_drift(seen.desired, seen.live))
    cluster = str(observed.live.cluster)
    fmt = OutputFormat(args.format)
    if fmt is OutputFormat.JSON:
        listed = listed_findings(findings, args.verbose)
        sys.stdout.write(json_text(drift_to_json(listed, cluster=cluster, stack=observed.stack)))
    else:
        sys.stdout.write(render_drift(findings, cluster, fmt, args.verbose, sys.stdout, stack=observed.stack))
    if annotating(args):
        from pulumi_kubevirt.plan.report.github import drift_commands

        sys.stderr.writelines(line + "\n" for line in drift_commands(findings))
    return drift_exit_code(findings)


def run_show(args: argparse.Namespace) -> int:
    from pulumi_kubevirt.plan.report.json_codec import (
        PLAN_SCHEMA,
        PlanFormatError,
        drift_from_json,
        plan_from_json,
    )

    path: Path = args.document
    hint = "pass a file written by kvplan plan --out"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise user_error(
            "Cannot read the saved plan", str(path), error.strerror or str(error), hint
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise user_error("The saved plan is not JSON", str(path), "the file cannot be parsed", hint) from None
    fmt = OutputFormat(args.format)
    try:
        if isinstance(data, dict) and data.get("schema") == PLAN_SCHEMA:
            plan = plan_from_json(data)
            sys.stdout.write(render_plan(plan, fmt, args.verbose, sys.stdout, max_chars=args.max_chars))
        else:
            findings = drift_from_json(data)
            cluster, stack = (
                (str(data.get(k, "")) for k in ("cluster", "stack")) if isinstance(data, dict) else ("", "")
            )
            sys.stdout.write(render_drift(findings, cluster, fmt, args.verbose, sys.stdout, stack=stack))
    except PlanFormatError as error:
        raise user_error(f"Cannot show {path}", str(path), str(error), hint) from None
    return EXIT_OK


# --- shared steps ---------------------------------------------------------------------------------


def observe(args: argparse.Namespace, analyse: Callable[[Observed], T]) -> tuple[Observed, T]:
    """Render the program, read the cluster once, then ``analyse`` what was seen (plan or drift).

    Computing the desired state, the read and the analysis share one pause of the garbage collector
    (``collector_paused``): compiled and decoded objects hold no cycles, and full collections walking them
    made the cost per VM grow with the number of VMs (1.59x from 500 to 5,000 VMs with it on, 1.10x off).
    Raises a ``UserError`` (a bad program or stack, no credentials, an unreadable cluster) for the user.
    """
    from pulumi_kubevirt.live import collector_paused

    progress = Progress(sys.stderr)
    try:
        with collector_paused():
            progress.step(f"Computing the desired state of stack {args.stack}...")
            rendered = _render(args)
            kinds = len({m.get("kind") for m in rendered.manifests})
            namespaces = len(
                {(m.get("metadata") or {}).get("namespace") for m in rendered.manifests} - {None}
            )
            progress.step(f"Reading {kinds} kinds in {namespaces} namespaces from the cluster...")
            observed = _read(args, rendered, progress)
            progress.step(f"Comparing {len(observed.desired)} objects with the cluster...")
            return observed, analyse(observed)
    finally:
        progress.done()


def _render(args: argparse.Namespace) -> Any:
    from pulumi_kubevirt.program.desired import desired_state_of_stack

    return desired_state_of_stack(args.program_dir, args.stack)


def _read(args: argparse.Namespace, rendered: Any, progress: Progress) -> Observed:
    from pulumi_kubevirt.live import load_kube_config, read_live_with_stats

    api = load_kube_config(args.kubeconfig, args.context)
    try:
        read = read_live_with_stats(
            api,
            rendered.manifests,
            project=rendered.project,
            stack=rendered.stack,
            timeout_s=args.timeout,
            namespaces=tuple(args.namespace),
        )
    finally:
        api.close()  # type: ignore[no-untyped-call]
    live = read.state
    for note in read.notes:
        progress.note(f"Note: {note}")
    desired, assumed = secure_values_from_live(rendered.manifests, live)
    if assumed:
        progress.note(
            f"Note: {len(assumed)} secret value(s) come from secure config, which only the Pulumi CLI can "
            f"decrypt; assumed unchanged: {', '.join(assumed)}."
        )
    return Observed(rendered.project, rendered.stack, desired, live, rendered.fleet)


def secure_values_from_live(
    desired: Sequence[Mapping[str, Any]], live: LiveState
) -> tuple[tuple[Mapping[str, Any], ...], tuple[str, ...]]:
    """Secret values rendered from ``secure:`` config are placeholders: take the live value instead.

    Without it every stack with secure config would plan a change (and report drift) on each such Secret
    forever. Returns the desired manifests and ``Secret ns/name data.key`` for each value assumed unchanged.
    """
    from pulumi_kubevirt.program.desired import SECURE_PLACEHOLDER

    out: list[Mapping[str, Any]] = []
    assumed: list[str] = []
    for manifest in desired:
        string_data = manifest.get("stringData")
        if manifest.get("kind") != "Secret" or not isinstance(string_data, Mapping):
            out.append(manifest)
            continue
        key = ObjectKey.of(manifest)
        current = live.objects.get(key)
        live_data = (current or {}).get("data") or {}
        patched = dict(string_data)
        for name, value in sorted(string_data.items()):
            if isinstance(value, str) and SECURE_PLACEHOLDER in value and name in live_data:
                try:
                    patched[name] = base64.b64decode(str(live_data[name]), validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    continue
                assumed.append(f"{key.display()} data.{name}")
        out.append({**manifest, "stringData": patched} if patched != string_data else manifest)
    return tuple(out), tuple(assumed)


def use_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def render_plan(plan: Plan, fmt: OutputFormat, verbose: bool, stream: TextIO, *, max_chars: int) -> str:
    from pulumi_kubevirt.plan.report.json_codec import plan_to_json
    from pulumi_kubevirt.plan.report.markdown import render_markdown
    from pulumi_kubevirt.plan.report.text import render_text

    if fmt is OutputFormat.MARKDOWN:
        return render_markdown(plan, max_chars=max_chars)
    if fmt is OutputFormat.JSON:
        return json_text(plan_to_json(plan))
    return render_text(plan, color=use_colour(stream), verbose=verbose)


def render_drift(
    findings: Sequence[DriftFinding],
    cluster: str,
    fmt: OutputFormat,
    verbose: bool,
    stream: TextIO,
    *,
    stack: str = "",
) -> str:
    from pulumi_kubevirt.plan.report.markdown import render_drift_markdown
    from pulumi_kubevirt.plan.report.text import render_drift_text

    if fmt is OutputFormat.MARKDOWN:
        return render_drift_markdown(listed_findings(findings, verbose), cluster=cluster, stack=stack)
    return render_drift_text(findings, cluster=cluster, color=use_colour(stream), verbose=verbose)


def listed_findings(findings: Sequence[DriftFinding], verbose: bool) -> tuple[DriftFinding, ...]:
    """Platform-written fields are listed only on request (the text renderer counts the hidden ones)."""
    return tuple(f for f in findings if verbose or f.kind is not DriftKind.PLATFORM)


def plan_exit_code(plan: Plan, *, detailed: bool, verdict: Verdict) -> int:
    """1 when the API would reject a change, 3 when the gate refuses one, 2 for changes (if asked), else 0."""
    if plan.all_errors:
        return EXIT_ERROR
    if not verdict.passed:
        return EXIT_GATE
    if detailed and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def drift_exit_code(findings: Sequence[DriftFinding]) -> int:
    """2 when a field we own drifted or an object is gone; platform-written fields never count."""
    return EXIT_CHANGES if any(f.kind is not DriftKind.PLATFORM for f in findings) else EXIT_OK


def json_text(document: Mapping[str, Any]) -> str:
    """Stable JSON: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
