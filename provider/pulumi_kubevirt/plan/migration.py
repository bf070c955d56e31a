"""Which MigrationPolicy each of the stack's VMs migrates under, decided as KubeVirt decides it. Pure.

KubeVirt matches a policy when a migration is set up (``facts.mobility.POLICY_MATCH``): the VMI's labels
are the VM's template labels, the namespace's labels are the live Namespace's (or, before it exists, the
desired one's). The policies considered are the ones that exist after the apply: the stack's desired
policies plus the cluster's policies that are not the stack's (the stack's live ones it no longer declares
are deleted by the apply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core.labels import stack_labels
from pulumi_kubevirt.facts.kinds import MIGRATION_POLICY, NAMESPACE, VM, VM_POOL
from pulumi_kubevirt.facts.mobility import POLICY_MATCH
from pulumi_kubevirt.plan.state import LiveState

MATCH_SOURCE = "; ".join(str(fact.source) for fact in POLICY_MATCH)


@dataclass(frozen=True, slots=True)
class Policy:
    """A MigrationPolicy as matching sees it; ``selectors`` false when the policy has none at all."""

    name: str
    vm_selector: Mapping[str, str]
    namespace_selector: Mapping[str, str]
    selectors: bool = True
    from_stack: bool = True

    @classmethod
    def of(cls, manifest: Mapping[str, Any], *, from_stack: bool) -> Policy:
        spec = manifest.get("spec") or {}
        selectors = spec.get("selectors")
        chosen = selectors if isinstance(selectors, Mapping) else {}
        return cls(
            name=str(manifest["metadata"]["name"]),
            vm_selector=dict(chosen.get("virtualMachineInstanceSelector") or {}),
            namespace_selector=dict(chosen.get("namespaceSelector") or {}),
            selectors=isinstance(selectors, Mapping),
            from_stack=from_stack,
        )


@dataclass(frozen=True, slots=True, order=True)
class Score:
    """Matching labels, ordered as ``migrationPolicyMatchScore.greaterThan`` orders them."""

    total: int
    vm_labels: int


def score(policy: Policy, vm_labels: Mapping[str, str], namespace_labels: Mapping[str, str]) -> Score | None:
    """The policy's score for one VMI, ``None`` when it does not apply (``countMatchingLabels``).

    An unlabelled VMI evaluates neither selector (KubeVirt tests the VMI's labels before either one).
    """
    if not policy.selectors:
        return None
    if not vm_labels:
        return Score(0, 0)
    for selector, labels in ((policy.vm_selector, vm_labels), (policy.namespace_selector, namespace_labels)):
        if any(labels.get(key) != value for key, value in selector.items()):
            return None
    vm_count = len(policy.vm_selector)
    return Score(vm_count + len(policy.namespace_selector), vm_count)


def winner(
    policies: Sequence[Policy], vm_labels: Mapping[str, str], namespace_labels: Mapping[str, str]
) -> tuple[Policy | None, tuple[Policy, ...]]:
    """The policy KubeVirt picks (``matchPolicy``: best score, then the first name), and the others that
    apply."""
    scored = [(s, p) for p in policies if (s := score(p, vm_labels, namespace_labels)) is not None]
    if not scored:
        return None, ()
    best = max(s for s, _ in scored)
    chosen = min((p for s, p in scored if s == best), key=lambda p: p.name)
    return chosen, tuple(sorted((p for _, p in scored if p is not chosen), key=lambda p: p.name))


@dataclass(frozen=True, slots=True)
class VmPolicy:
    """One VM (or pool member) and the policy it migrates under, with the policies that also apply."""

    vm: str
    policy: str
    outranks: tuple[str, ...] = ()
    namespace_labels_known: bool = True


@dataclass(frozen=True, slots=True)
class PolicySelection:
    """One policy and the stack's VMs it wins, and those it applies to but loses to a more specific one."""

    policy: str
    from_stack: bool
    selects: tuple[str, ...] = ()
    outranked_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MigrationPolicies:
    """The plan's migration-policy section: per policy and per VM; empty when no policy is in play."""

    policies: tuple[PolicySelection, ...] = ()
    vms: tuple[VmPolicy, ...] = ()
    source: str = MATCH_SOURCE


def _labels(manifest: Mapping[str, Any] | None) -> dict[str, str]:
    return dict(((manifest or {}).get("metadata") or {}).get("labels") or {})


def _template_labels(vm_spec: Mapping[str, Any]) -> dict[str, str]:
    return _labels((vm_spec.get("template") or {}) if isinstance(vm_spec, Mapping) else {})


def new_member_names(pool: str, count: int, taken: set[str]) -> list[str]:
    """The names the pool gives new members: the lowest free indexes (``calculateNewVMNames``)."""
    names: list[str] = []
    index = 0
    while len(names) < count:
        name = f"{pool}-{index}"
        if name not in taken:
            names.append(name)
        index += 1
    return names


def _pool_member_names(pool: Mapping[str, Any], live: LiveState) -> list[str]:
    """Live members by owner, plus the names the pool controller gives the members it will add."""
    metadata = pool["metadata"]
    owned = {
        key.name
        for key, obj in live.objects.items()
        if key.kind == VM
        and key.namespace == metadata.get("namespace", "")
        and owner_pool(obj) == metadata["name"]
    }
    replicas = int((pool.get("spec") or {}).get("replicas", 1) or 0)
    return sorted(owned) + new_member_names(str(metadata["name"]), max(replicas - len(owned), 0), owned)


def owner_pool(obj: Mapping[str, Any]) -> str:
    """The name of the VirtualMachinePool that controls this VM, or ``""``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == VM_POOL and ref.get("controller"):
            return str(ref.get("name", ""))
    return ""


def _vm_labels(
    desired: Sequence[Mapping[str, Any]], live: LiveState
) -> list[tuple[str, str, dict[str, str]]]:
    """``(namespace, display name, VMI labels)`` for every desired VM and pool member."""
    out: list[tuple[str, str, dict[str, str]]] = []
    for manifest in desired:
        namespace = str(manifest["metadata"].get("namespace", ""))
        if manifest.get("kind") == VM:
            labels = _template_labels(manifest.get("spec") or {})
            out.append((namespace, f"{namespace}/{manifest['metadata']['name']}", labels))
        elif manifest.get("kind") == VM_POOL:
            spec = (manifest.get("spec") or {}).get("virtualMachineTemplate", {}).get("spec") or {}
            labels = _template_labels(spec)
            out += [(namespace, f"{namespace}/{name}", labels) for name in _pool_member_names(manifest, live)]
    return sorted(out, key=lambda item: item[1])


def _namespace_labels(
    desired: Sequence[Mapping[str, Any]], live: LiveState
) -> tuple[dict[str, dict[str, str]], set[str]]:
    """Live labels of each namespace where readable, else the desired Namespace's; and those read live."""
    labels = {str(m["metadata"]["name"]): _labels(m) for m in desired if m.get("kind") == NAMESPACE}
    known = set(labels)
    for key, obj in live.objects.items():
        if key.kind == NAMESPACE and not key.group:
            labels[key.name] = _labels(obj)
            known.add(key.name)
    return labels, known


def _policies(
    desired: Sequence[Mapping[str, Any]], live: LiveState, project: str, stack: str
) -> list[Policy]:
    ours = stack_labels(project, stack)
    found = {
        str(m["metadata"]["name"]): Policy.of(m, from_stack=True)
        for m in desired
        if m.get("kind") == MIGRATION_POLICY
    }
    for key, obj in live.objects.items():
        if key.kind != MIGRATION_POLICY or key.name in found:
            continue
        if all(_labels(obj).get(k) == v for k, v in ours.items()):
            continue
        found[key.name] = Policy.of(obj, from_stack=False)
    return [found[name] for name in sorted(found)]


def migration_policies(
    desired: Sequence[Mapping[str, Any]], live: LiveState, *, project: str, stack: str
) -> MigrationPolicies:
    """Which policy each desired VM and pool member gets after the apply, and what each policy selects.

    Empty unless the stack declares a MigrationPolicy: without one the plan has nothing of ours to explain.
    """
    if not any(m.get("kind") == MIGRATION_POLICY for m in desired):
        return MigrationPolicies()
    policies = _policies(desired, live, project, stack)
    namespaces, known = _namespace_labels(desired, live)
    selects: dict[str, list[str]] = {p.name: [] for p in policies}
    outranked: dict[str, list[str]] = {p.name: [] for p in policies}
    vms: list[VmPolicy] = []
    selected_keys = sorted({key for p in policies for key in p.vm_selector})
    decided: dict[tuple[str, bool, tuple[str | None, ...]], tuple[Policy | None, tuple[Policy, ...]]] = {}
    for namespace, name, labels in _vm_labels(desired, live):
        # Only the labels some selector names (and whether there are labels at all) decide: VMs of one
        # namespace that agree on those get the same policy, decided once.
        seen = (namespace, bool(labels), tuple(labels.get(key) for key in selected_keys))
        if seen not in decided:
            decided[seen] = winner(policies, labels, namespaces.get(namespace, {}))
        chosen, others = decided[seen]
        if chosen is not None:
            selects[chosen.name].append(name)
        for other in others:
            outranked[other.name].append(name)
        vms.append(
            VmPolicy(
                vm=name,
                policy=chosen.name if chosen else "",
                outranks=tuple(p.name for p in others),
                namespace_labels_known=namespace in known,
            )
        )
    return MigrationPolicies(
        policies=tuple(
            PolicySelection(p.name, p.from_stack, tuple(selects[p.name]), tuple(outranked[p.name]))
            for p in policies
        ),
        vms=tuple(vms),
    )
