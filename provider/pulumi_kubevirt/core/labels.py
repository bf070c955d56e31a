"""The labels every compiled object carries, so one selector lists a stack's objects across kinds."""

from __future__ import annotations

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "pulumi-kubevirt"
PROJECT_KEY = "pulumi-kubevirt/project"
STACK_KEY = "pulumi-kubevirt/stack"
COMPONENT_KEY = "pulumi-kubevirt/component"
COMPONENT_KIND_KEY = "pulumi-kubevirt/component-kind"


def stack_labels(project: str, stack: str) -> dict[str, str]:
    """Labels that identify the objects of one stack of one project."""
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, PROJECT_KEY: project, STACK_KEY: stack}


def stack_selector(project: str, stack: str) -> str:
    """The label selector (as kubectl writes it) that lists every object of one stack."""
    return ",".join(f"{key}={value}" for key, value in sorted(stack_labels(project, stack).items()))
