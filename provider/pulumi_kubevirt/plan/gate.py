"""The disruption gate: what a stack allows, warns about or refuses, per impact. One policy, two callers.

``pulumi preview`` (``components.preview``) and ``kvplan plan`` both parse the stack's ``kubevirt:disruption``
here and judge a :class:`~pulumi_kubevirt.plan.model.Plan` with :func:`judge`, so the CI gate and the preview
gate cannot disagree on the same change. ``kvplan plan --fail-on IMPACT`` *replaces* the stack's policy
(:meth:`DisruptionPolicy.fail_on`): changes of that impact or a worse one fail, the rest get the defaults.

Every change of an object is judged on its own impact; an object that is deleted is judged on the object's
impact (what deleting it does); an object whose impact is worse than any one of its changes (a replacement)
is judged on that too. Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.plan.model import Action, FieldChange, Impact, Plan, ResourcePlan, max_impact
from pulumi_kubevirt.plan.state import ObjectKey

CONFIG_NAMESPACE = "kubevirt"
DISRUPTION_KEY = "disruption"
CONFIG_KEY = f"{CONFIG_NAMESPACE}:{DISRUPTION_KEY}"
"""The stack config key the preview and ``kvplan plan`` read the policy from."""

FAIL_ON_FLAG = "--fail-on"


class Disposition(enum.StrEnum):
    """What the gate does with a change of some impact."""

    ALLOW = "allow"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class DispositionRule:
    impact: Impact
    disposition: Disposition
    reason: str


DEFAULT_DISRUPTION: tuple[DispositionRule, ...] = (
    DispositionRule(Impact.NONE, Disposition.ALLOW, "nothing happens to a guest"),
    DispositionRule(
        Impact.NO_EFFECT,
        Disposition.WARN,
        "accepted but never seen by the guest: the code says something false",
    ),
    DispositionRule(Impact.LIVE, Disposition.ALLOW, "applied to the running guest without interruption"),
    DispositionRule(
        Impact.LIVE_MIGRATION, Disposition.ALLOW, "the guest moves to another node; a pause of milliseconds"
    ),
    DispositionRule(Impact.RESTART, Disposition.WARN, "the guest reboots when the VM is restarted"),
    DispositionRule(Impact.REPLACE, Disposition.WARN, "the object is deleted and created again"),
    DispositionRule(Impact.DESTROYS_DATA, Disposition.WARN, "a disk is recreated empty or re-imported"),
)
"""For impacts the stack's policy does not name: nothing fails unless the stack (or --fail-on) says so."""

DEFAULT_ORIGIN = "the default"


@dataclass(frozen=True, slots=True)
class DisruptionPolicy:
    """Impact -> disposition, and where each came from (``kubevirt:disruption.restart``, ``--fail-on``...)."""

    rules: Mapping[Impact, Disposition]
    origins: Mapping[Impact, str]

    @classmethod
    def default(cls) -> DisruptionPolicy:
        return cls(
            {rule.impact: rule.disposition for rule in DEFAULT_DISRUPTION},
            {rule.impact: DEFAULT_ORIGIN for rule in DEFAULT_DISRUPTION},
        )

    @classmethod
    def from_config(cls, raw: Any) -> DisruptionPolicy:
        """The defaults overlaid with ``raw`` (the config value); ``ValidationError`` lists every problem."""
        rules = dict(cls.default().rules)
        origins = dict(cls.default().origins)
        if raw is None:
            return cls(rules, origins)
        impacts = ", ".join(str(i) for i in Impact if i is not Impact.NONE)
        choices = ", ".join(str(d) for d in Disposition)
        if not isinstance(raw, Mapping):
            raise ValidationError(
                [
                    Problem(
                        CONFIG_KEY,
                        f"{raw!r} is not a map from impact to {choices}",
                        "write it as such a map, e.g. {destroys-data: fail, restart: warn}",
                        "the policy says what to do with each kind of disruption",
                    )
                ],
                f"Invalid {CONFIG_KEY}",
            )
        problems: list[Problem] = []
        for name, value in raw.items():
            path = f"{CONFIG_KEY}.{name}"
            try:
                impact = Impact(str(name))
            except ValueError:
                problems.append(Problem(path, f"{name!r} is not an impact", f"use one of: {impacts}"))
                continue
            try:
                rules[impact] = Disposition(str(value).lower())
            except ValueError:
                problems.append(Problem(path, f"{value!r} is not a disposition", f"use one of: {choices}"))
                continue
            origins[impact] = path
        if problems:
            raise ValidationError(problems, f"Invalid {CONFIG_KEY}")
        return cls(rules, origins)

    @classmethod
    def from_config_text(cls, text: str | None) -> DisruptionPolicy:
        """From the string Pulumi hands a program (JSON for a map); a plain string is reported."""
        if text is None or text == "":
            return cls.from_config(None)
        try:
            raw = json.loads(text)
        except ValueError:
            raw = text
        return cls.from_config(raw)

    @classmethod
    def fail_on(cls, threshold: Impact) -> DisruptionPolicy:
        """``--fail-on``: ``threshold`` and every worse impact fail; the stack's policy is not consulted."""
        base = cls.default()
        rules = dict(base.rules)
        origins = dict(base.origins)
        for impact in Impact:
            if impact >= threshold:
                rules[impact] = Disposition.FAIL
                origins[impact] = f"{FAIL_ON_FLAG} {threshold}"
        return cls(rules, origins)

    def disposition(self, impact: Impact) -> Disposition:
        return self.rules.get(impact, Disposition.ALLOW)

    def origin(self, impact: Impact) -> str:
        return self.origins.get(impact, DEFAULT_ORIGIN)

    @property
    def fails_anything(self) -> bool:
        return Disposition.FAIL in self.rules.values()


@dataclass(frozen=True, slots=True)
class Finding:
    """One judged change: the object, the change (``None``: the object as a whole), impact and verdict.

    ``origin`` names the policy entry that decided: ``kubevirt:disruption.restart``, ``--fail-on restart`` or
    ``the default``.
    """

    key: ObjectKey
    impact: Impact
    disposition: Disposition
    origin: str
    change: FieldChange | None = None
    resource: ResourcePlan | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every change the policy does not allow silently, worst first."""

    findings: tuple[Finding, ...]

    @property
    def refused(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.disposition is Disposition.FAIL)

    @property
    def warned(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.disposition is Disposition.WARN)

    @property
    def passed(self) -> bool:
        return not self.refused


def resource_findings(res: ResourcePlan, policy: DisruptionPolicy) -> tuple[Finding, ...]:
    """What the policy says about each change of one object (allowed ones left out), worst first."""
    found: list[Finding] = []

    def judge_one(impact: Impact, change: FieldChange | None) -> None:
        disposition = policy.disposition(impact)
        if disposition is not Disposition.ALLOW:
            found.append(Finding(res.key, impact, disposition, policy.origin(impact), change, res))

    if res.action is Action.DELETE:
        judge_one(res.impact, None)
    elif res.action is not Action.NO_OP:
        for change in res.changes:
            judge_one(change.impact, change)
        if res.impact > max_impact(c.impact for c in res.changes):
            judge_one(res.impact, None)
    return tuple(sorted(found, key=_worst_first))


def judge(plan: Plan, policy: DisruptionPolicy) -> Verdict:
    """The gate's verdict on a whole plan."""
    findings = [f for res in plan.resources for f in resource_findings(res, policy)]
    return Verdict(tuple(sorted(findings, key=_worst_first)))


def _worst_first(finding: Finding) -> tuple[int, ObjectKey, str]:
    path = str(finding.change.path) if finding.change is not None else ""
    return (-finding.impact.rank, finding.key, path)
