"""The disruption gate: parsing ``kubevirt:disruption``, ``--fail-on`` replacing it, the verdict on a plan."""

from __future__ import annotations

import pytest

from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.plan.gate import (
    DEFAULT_DISRUPTION,
    DEFAULT_ORIGIN,
    Disposition,
    DisruptionPolicy,
    judge,
)
from pulumi_kubevirt.plan.model import Action, FieldChange, Impact, Plan, ResourcePlan
from pulumi_kubevirt.plan.report.common import finding_text, refusal_problem
from pulumi_kubevirt.plan.state import ObjectKey

VM = ObjectKey("kubevirt.io", "VirtualMachine", "prod", "db")
DISK = ObjectKey("cdi.kubevirt.io", "DataVolume", "prod", "db-data")
SERVICE = ObjectKey("", "Service", "prod", "web")


def change(path: str, before: object, after: object, impact: Impact, reason: str = "why") -> FieldChange:
    return FieldChange(path, before, after, impact, "rule-id", reason, "source")


CORES = change("spec.template.spec.domain.cpu.cores", 2, 4, Impact.RESTART, "cores are not hot-pluggable")
PORT = change("spec.ports[name=http].port", 80, 8080, Impact.LIVE)
SOURCE = change(
    "spec.source.http",
    None,
    {"url": "https://images.example/2.qcow2"},
    Impact.DESTROYS_DATA,
    "CDI rejects it",
)


def plan_of(*resources: ResourcePlan) -> Plan:
    return Plan(resources=resources, cluster="test")


RESTART_PLAN = plan_of(
    ResourcePlan(VM, Action.UPDATE, Impact.RESTART, changes=(CORES,)),
    ResourcePlan(SERVICE, Action.UPDATE, Impact.LIVE, changes=(PORT,)),
)


def test_the_defaults_name_every_impact_and_refuse_nothing() -> None:
    policy = DisruptionPolicy.default()

    assert {rule.impact for rule in DEFAULT_DISRUPTION} == set(Impact)
    assert not policy.fails_anything
    assert policy.disposition(Impact.LIVE) is Disposition.ALLOW
    assert policy.disposition(Impact.RESTART) is Disposition.WARN
    verdict = judge(RESTART_PLAN, policy)
    assert verdict.passed
    assert [(f.key, f.disposition) for f in verdict.warned] == [(VM, Disposition.WARN)]


def test_the_stack_policy_overlays_the_defaults_and_each_rule_names_its_config_entry() -> None:
    policy = DisruptionPolicy.from_config({"restart": "FAIL", "no-effect": "allow"})

    assert policy.disposition(Impact.RESTART) is Disposition.FAIL
    assert policy.origin(Impact.RESTART) == "kubevirt:disruption.restart"
    assert policy.disposition(Impact.NO_EFFECT) is Disposition.ALLOW
    assert policy.disposition(Impact.REPLACE) is Disposition.WARN
    assert policy.origin(Impact.REPLACE) == DEFAULT_ORIGIN
    (refused,) = judge(RESTART_PLAN, policy).refused
    assert (refused.key, refused.change, refused.origin) == (VM, CORES, "kubevirt:disruption.restart")


def test_a_bad_policy_lists_every_problem_with_its_config_path() -> None:
    with pytest.raises(ValidationError) as raised:
        DisruptionPolicy.from_config({"destroys-data": "refuse", "reboot": "warn", "restart": "fail"})

    assert str(raised.value).splitlines() == [
        "Invalid kubevirt:disruption (2 problems):",
        "  - kubevirt:disruption.destroys-data: 'refuse' is not a disposition. "
        "Use one of: allow, warn, fail.",
        "  - kubevirt:disruption.reboot: 'reboot' is not an impact. Use one of: no-effect, live, "
        "live-migration, restart, replace, destroys-data.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, Disposition.WARN, id="unset"),
        pytest.param("", Disposition.WARN, id="empty"),
        pytest.param('{"restart": "fail"}', Disposition.FAIL, id="json-map"),
    ],
)
def test_config_text_as_pulumi_hands_it_to_a_program(text: str | None, expected: Disposition) -> None:
    assert DisruptionPolicy.from_config_text(text).disposition(Impact.RESTART) is expected


@pytest.mark.parametrize("text", ["fail", "[1, 2]"], ids=["plain-string", "json-list"])
def test_a_policy_that_is_not_a_map_is_one_problem_at_the_key(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        DisruptionPolicy.from_config_text(text)

    (problem,) = raised.value.problems
    assert problem.path == "kubevirt:disruption"
    assert "is not a map from impact to allow, warn, fail" in problem.message


def test_fail_on_refuses_its_impact_and_worse_and_keeps_the_defaults_below() -> None:
    policy = DisruptionPolicy.fail_on(Impact.REPLACE)

    refused = {impact for impact in Impact if policy.disposition(impact) is Disposition.FAIL}
    assert refused == {Impact.REPLACE, Impact.DESTROYS_DATA}
    assert policy.origin(Impact.REPLACE) == "--fail-on replace"
    assert policy.disposition(Impact.RESTART) is Disposition.WARN
    assert judge(RESTART_PLAN, policy).passed
    assert not judge(RESTART_PLAN, DisruptionPolicy.fail_on(Impact.RESTART)).passed


def test_a_deletion_is_judged_on_what_deleting_the_object_does() -> None:
    deleted = ResourcePlan(
        DISK, Action.DELETE, Impact.DESTROYS_DATA, notes=("the disk and its data are deleted",)
    )
    policy = DisruptionPolicy.from_config({"destroys-data": "fail"})

    (refused,) = judge(plan_of(deleted), policy).refused

    assert refused.change is None
    assert finding_text(refused) == (
        "DataVolume prod/db-data: delete, DESTROYS DATA (the disk and its data are deleted)"
    )


def test_a_replacement_worse_than_each_of_its_changes_is_judged_as_a_whole() -> None:
    label = change("metadata.labels.tier", "a", "b", Impact.NONE)
    replaced = ResourcePlan(SERVICE, Action.REPLACE, Impact.REPLACE, changes=(label,))

    verdict = judge(plan_of(replaced), DisruptionPolicy.from_config({"replace": "fail"}))

    assert [(f.impact, f.change) for f in verdict.refused] == [(Impact.REPLACE, None)]


def test_findings_come_worst_first_and_allowed_changes_are_left_out() -> None:
    plan = plan_of(
        ResourcePlan(VM, Action.UPDATE, Impact.RESTART, changes=(CORES,)),
        ResourcePlan(DISK, Action.REPLACE, Impact.DESTROYS_DATA, changes=(SOURCE,)),
        ResourcePlan(SERVICE, Action.UPDATE, Impact.LIVE, changes=(PORT,)),
    )

    verdict = judge(plan, DisruptionPolicy.default())

    assert [f.impact for f in verdict.findings] == [Impact.DESTROYS_DATA, Impact.RESTART]


def test_a_refusal_names_the_object_the_change_the_impact_and_the_config_entry() -> None:
    policy = DisruptionPolicy.from_config({"restart": "fail"})
    (refused,) = judge(RESTART_PLAN, policy).refused

    assert refusal_problem(refused).line() == (
        "VirtualMachine prod/db: spec.template.spec.domain.cpu.cores: 2 -> 4; impact restart, which "
        "kubevirt:disruption.restart refuses. Cores are not hot-pluggable. Change the code so this change is "
        "not needed, or set kubevirt:disruption.restart to warn for this stack: pulumi config set --path "
        "'kubevirt:disruption.restart' warn."
    )
    (by_flag,) = judge(RESTART_PLAN, DisruptionPolicy.fail_on(Impact.RESTART)).refused
    assert "which --fail-on restart refuses" in refusal_problem(by_flag).line()
    assert "or pass --fail-on replace (or leave it out) to accept it." in refusal_problem(by_flag).line()
