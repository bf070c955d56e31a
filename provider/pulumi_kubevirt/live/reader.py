"""Read what the cluster holds for one stack: a fixed number of LISTs, however many VMs the stack has.

Round trips: (1) discovery, only for kinds we do not know; (2) every LIST in parallel: per namespace the
stack's kinds with the stack's label selector, PVCs unfiltered (CDI creates them unlabelled), and once the
namespaces, the KubeVirt CR(s) and the storage classes; (3) only when a desired name is missing from a
labelled LIST, one unfiltered LIST of that kind in that namespace, to find objects that exist under that name
without our labels. VMIs and PVCs are listed unfiltered and kept by the names of the stack's VMs and disks.

Why an unfiltered LIST and not ``fieldSelector=metadata.name=X``: a field selector on ``metadata.name``
takes one value, so finding k unlabelled names would take k requests; one LIST per kind and namespace keeps
the count independent of the number of VMs, and it only happens while adopting or on a name clash.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_kubevirt.compile.snapshots import SNAPSHOT_BEFORE_ANNOTATION
from pulumi_kubevirt.core.errors import Problem, sentence
from pulumi_kubevirt.core.labels import stack_labels, stack_selector
from pulumi_kubevirt.facts.snapshots import VM_RESTORE, VM_SNAPSHOT
from pulumi_kubevirt.live import kinds
from pulumi_kubevirt.live.compact import SharedFieldSets
from pulumi_kubevirt.live.kinds import KindRef, Selection
from pulumi_kubevirt.live.kubeconfig import cluster_display_name, insecure_notice
from pulumi_kubevirt.live.transport import Answer, ApiReader, LiveReadError, ReadStats
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

Manifest = Mapping[str, Any]
GroupKind = tuple[str, str]

MAX_PARALLEL_REQUESTS = 8
"""Enough to overlap round trips; within the client's default pool (5 connections per core) from 2 cores."""


@dataclass(frozen=True, slots=True)
class LiveRead:
    """The live state, what reading it cost, and a sentence per missing kind (``LiveState.missing_kinds``
    holds the kinds as ``VirtualMachine (kubevirt.io/v1)``; ``notes`` says how each was found missing, and
    which cluster-wide facts these credentials may not read)."""

    state: LiveState
    stats: ReadStats
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, order=True)
class _ListTask:
    ref: KindRef
    namespace: str
    labelled: bool

    def query(self, selector: str) -> dict[str, str]:
        return {"labelSelector": selector} if self.labelled else {}


@dataclass(slots=True)
class _Desired:
    """Names the desired manifests want, by kind and namespace, and the versions they use."""

    names: dict[GroupKind, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    versions: dict[GroupKind, set[str]] = field(default_factory=lambda: defaultdict(set))
    namespaces: set[str] = field(default_factory=set)
    keys: set[ObjectKey] = field(default_factory=set)

    def wanted(self, ref: KindRef, namespace: str) -> set[str]:
        return self.names.get((ref.group, ref.kind), {}).get(namespace if ref.namespaced else "", set())


def _index_desired(desired: Sequence[Manifest]) -> _Desired:
    index = _Desired()
    for position, manifest in enumerate(desired):
        api_version = str(manifest.get("apiVersion", ""))
        kind = str(manifest.get("kind", ""))
        metadata = manifest.get("metadata") or {}
        name = metadata.get("name")
        if not api_version or not kind or not name:
            raise ValueError(f"desired manifest #{position} lacks apiVersion, kind or metadata.name")
        group, _, version = api_version.rpartition("/")
        namespace = str(metadata.get("namespace") or "")
        index.names[(group, kind)].setdefault(namespace, set()).add(str(name))
        index.versions[(group, kind)].add(version)
        index.keys.add(ObjectKey(group, kind, namespace, str(name)))
        if namespace:
            index.namespaces.add(namespace)
    return index


def _has_stack_labels(manifest: Manifest, labels: Mapping[str, str]) -> bool:
    present = (manifest.get("metadata") or {}).get("labels") or {}
    return all(present.get(k) == v for k, v in labels.items())


def _parallel(
    reader: ApiReader,
    calls: Sequence[tuple[str, Mapping[str, str]]],
    shared: SharedFieldSets | None = None,
) -> list[Answer | LiveReadError]:
    """Run GETs concurrently; a failed request becomes its error so every problem gets reported.

    With ``shared``, each LIST answer's items share their repeated field sets as soon as it is decoded.
    """

    def one(call: tuple[str, Mapping[str, str]]) -> Answer | LiveReadError:
        try:
            answer = reader.get(call[0], call[1] or None)
        except LiveReadError as error:
            return error
        if shared is not None and answer.body is not None:
            shared.share(answer.body.get("items") or ())
        return answer

    if len(calls) <= 1:
        return [one(c) for c in calls]
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_REQUESTS, len(calls))) as pool:
        return list(pool.map(one, calls))


class _Read:
    """One read in progress: collects objects, missing kinds and problems."""

    def __init__(self, reader: ApiReader, desired: _Desired, project: str, stack: str) -> None:
        self.reader = reader
        self.desired = desired
        self.labels = stack_labels(project, stack)
        self.selector = stack_selector(project, stack)
        self.missing_kinds: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.failures: list[LiveReadError] = []
        self.unreadable: dict[str, str] = {}
        self.objects: dict[ObjectKey, Manifest] = {}
        self.unfiltered: dict[_ListTask, list[Manifest]] = {}
        self.shared = SharedFieldSets()

    def resolve_kinds(self) -> dict[GroupKind, KindRef]:
        """Known kinds from the table; the others through one discovery GET per group/version."""
        resolved: dict[GroupKind, KindRef] = {}
        to_discover: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (group, kind), versions in sorted(self.desired.versions.items()):
            known = kinds.KNOWN_BY_GROUP_KIND.get((group, kind))
            if known is not None:
                version = known.ref.version if known.ref.version in versions else min(versions)
                resolved[(group, kind)] = known.ref.with_version(version)
            else:
                to_discover[(group, min(versions))].append(kind)
        group_versions = sorted(to_discover)
        paths: list[tuple[str, Mapping[str, str]]] = [
            (f"/apis/{g}/{v}" if g else f"/api/{v}", {}) for g, v in group_versions
        ]
        for (group, version), answer in zip(group_versions, _parallel(self.reader, paths), strict=True):
            for kind in to_discover[(group, version)]:
                ref = self._from_discovery(group, version, kind, answer)
                if ref is not None:
                    resolved[(group, kind)] = ref
        return resolved

    def _from_discovery(
        self, group: str, version: str, kind: str, answer: Answer | LiveReadError
    ) -> KindRef | None:
        api_version = f"{group}/{version}" if group else version
        if isinstance(answer, LiveReadError):
            self.failures.append(answer)
            return None
        if answer.status == 404:
            self.missing_kinds[f"{kind} ({api_version})"] = (
                f"{kind} ({api_version}): the cluster does not serve the API group version {api_version}. "
                f"Install {kinds.provider_of(group)}, or fix the apiVersion in the code."
            )
            return None
        if answer.body is None:
            self._problem(f"GET discovery for {api_version}", answer)
            return None
        for resource in answer.body.get("resources") or []:
            if resource.get("kind") == kind and "/" not in str(resource.get("name", "")):
                return KindRef(group, version, kind, str(resource["name"]), bool(resource.get("namespaced")))
        self.missing_kinds[f"{kind} ({api_version})"] = (
            f"{kind} ({api_version}): the cluster serves {api_version} but has no kind {kind} in it. "
            f"Install the {kinds.provider_of(group)} version that defines it, or fix the kind in the code."
        )
        return None

    def raise_if_failed(self) -> None:
        """One error with every problem; requests that failed the same way are summed up, not repeated."""
        if not self.failures and not self.problems:
            return
        by_title: dict[str, list[Problem]] = defaultdict(list)
        for failure in self.failures:
            by_title[failure.title].extend(failure.problems)
        summary: list[Problem] = []
        for problems in by_title.values():
            first, others = sorted(problems)[0], len(problems) - 1
            if others:
                also = f"{others} other request(s) failed the same way"
                first = replace(first, why=f"{sentence(first.why)} {also}" if first.why else also)
            summary.append(first)
        titles = sorted(by_title)
        title = titles[0] if len(titles) == 1 and not self.problems else "Could not read the cluster"
        raise LiveReadError(title, sorted(summary) + sorted(set(self.problems)))

    def _problem(self, what: str, answer: Answer) -> None:
        if answer.status == 401:
            why = "the credentials were rejected"
            fix = "refresh them (log in again) or pick another context"
        elif answer.status == 403:
            why = "the credentials lack permission"
            fix = "have someone grant list on this resource, or use another context"
        else:
            why = ""
            fix = "check the request and the API server's logs"
        self.problems.append(Problem(what, f"answered {answer.status}: {answer.message}", fix, why))

    def list_tasks(self, refs: Mapping[GroupKind, KindRef]) -> list[_ListTask]:
        namespaces = sorted(self.desired.namespaces)
        tasks: set[_ListTask] = {
            _ListTask(kinds.NAMESPACE, "", False),
            _ListTask(kinds.KUBEVIRT, "", False),
            _ListTask(kinds.STORAGE_CLASS, "", False),
        }
        per_namespace = {(r.group, r.kind): r for r in kinds.ALWAYS_PER_NAMESPACE}
        cluster_scoped: dict[GroupKind, KindRef] = {}
        for group_kind, ref in refs.items():
            if ref.namespaced:
                per_namespace[group_kind] = ref
            else:
                cluster_scoped[group_kind] = ref
        for ref in per_namespace.values():
            labelled = kinds.selection_of(ref) is Selection.LABELLED
            tasks.update(_ListTask(ref, ns, labelled) for ns in namespaces)
        listed_anyway = {(r.group, r.kind) for r in (kinds.NAMESPACE, kinds.STORAGE_CLASS)}
        for ref in cluster_scoped.values():
            if (ref.group, ref.kind) in listed_anyway:
                continue
            tasks.add(_ListTask(ref, "", kinds.selection_of(ref) is Selection.LABELLED))
        return sorted(tasks, key=_heaviest_first)

    def run_lists(self, tasks: Sequence[_ListTask]) -> dict[_ListTask, list[Manifest]]:
        calls = [(t.ref.collection_path(t.namespace), t.query(self.selector)) for t in tasks]
        results: dict[_ListTask, list[Manifest]] = {}
        for task, answer in zip(tasks, _parallel(self.reader, calls, self.shared), strict=True):
            items = self._items(task, answer)
            if items is not None:
                results[task] = items
        return results

    def _items(self, task: _ListTask, answer: Answer | LiveReadError) -> list[Manifest] | None:
        if isinstance(answer, LiveReadError):
            self.failures.append(answer)
            return None
        where = f"LIST {task.ref.collection_path(task.namespace)}"
        if answer.status == 404:
            ref = task.ref
            self.missing_kinds.setdefault(
                ref.display(),
                f"{ref.display()}: the cluster does not serve this kind ({where} answered 404). "
                f"Install {kinds.provider_of(ref.group)}, or fix the apiVersion in the code.",
            )
            return None
        if answer.status == 403 and not task.namespace and task.ref in CLUSTER_FACTS:
            self.unreadable[task.ref.display()] = (
                f"{task.ref.display()}: not readable with these credentials ({where} answered 403), so "
                f"{CLUSTER_FACTS[task.ref]} Grant list on {task.ref.plural} cluster-wide to get it."
            )
            return None
        if answer.body is None:
            self._problem(where, answer)
            return None
        list_api_version = str(answer.body.get("apiVersion") or task.ref.api_version)
        items: list[Manifest] = []
        for item in answer.body.get("items") or []:
            item.setdefault("apiVersion", list_api_version)
            item.setdefault("kind", task.ref.kind)
            items.append(item)
        return items

    def keep(
        self, ref: KindRef, items: Iterable[Manifest], names: set[str] | None = None, labelled: bool = False
    ) -> None:
        """Hold every item, or only those named in ``names`` (or, with ``labelled``, carrying our labels)."""
        group, kind = ref.group, ref.kind
        for item in items:
            metadata = item["metadata"]
            name = metadata["name"]
            if names is None or name in names or (labelled and _has_stack_labels(item, self.labels)):
                self.objects[ObjectKey(group, kind, metadata.get("namespace", ""), name)] = item

    def present(self) -> dict[tuple[str, str, str], set[str]]:
        """Names held so far, by (group, kind, namespace)."""
        found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for key in self.objects:
            found[(key.group, key.kind, key.namespace)].add(key.name)
        return found


CLUSTER_FACTS: dict[KindRef, str] = {
    kinds.NAMESPACE: "missing namespaces cannot be detected.",
    kinds.KUBEVIRT: "the KubeVirt rollout strategy is unknown.",
    kinds.STORAGE_CLASS: "whether disks can grow is unknown.",
}
"""Cluster-wide LISTs a namespace-scoped user may be refused: the read goes on without what each tells."""

HEAVIEST_FIRST: tuple[KindRef, ...] = (
    kinds.VIRTUAL_MACHINE,
    kinds.VIRTUAL_MACHINE_INSTANCE,
    kinds.DATA_VOLUME,
    kinds.SECRET,
    kinds.SERVICE,
    kinds.PERSISTENT_VOLUME_CLAIM,
)
"""Kinds in the order their LISTs are sent: the biggest answers first, so the slowest requests do not queue
behind small ones at the end (longest-first scheduling shortens the whole read)."""
_WEIGHT = {(ref.group, ref.kind): rank for rank, ref in enumerate(HEAVIEST_FIRST)}


def _heaviest_first(task: _ListTask) -> tuple[int, KindRef, str, bool]:
    return (
        _WEIGHT.get((task.ref.group, task.ref.kind), len(_WEIGHT)),
        task.ref,
        task.namespace,
        task.labelled,
    )


def _claims_of_vm(vm: Manifest) -> set[str]:
    """PVCs a VM's volumes use: ``persistentVolumeClaim.claimName`` and ``dataVolume.name`` (same name)."""
    claims: set[str] = set()
    volumes = (((vm.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
    for volume in volumes:
        pvc = volume.get("persistentVolumeClaim") or {}
        dv = volume.get("dataVolume") or {}
        for name in (pvc.get("claimName"), dv.get("name")):
            if name:
                claims.add(str(name))
    return claims


def read_live_with_stats(
    api_client: Any,
    desired: Sequence[Manifest],
    *,
    project: str,
    stack: str,
    timeout_s: float = 60.0,
    namespaces: Iterable[str] = (),
    cluster: str | None = None,
) -> LiveRead:
    """Like ``read_live``, and also say what it cost (requests, retries, bytes, seconds)."""
    with collector_paused():
        return _read(
            api_client,
            desired,
            project=project,
            stack=stack,
            timeout_s=timeout_s,
            namespaces=namespaces,
            cluster=cluster,
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (nests; restores the previous state).

    Decoded JSON holds no reference cycles, yet every container it allocates counts toward the collector's
    thresholds, and the collections that follow walk every object decoded so far: about a quarter of the
    read's wall time for 1,000 VMs (bench/README.md). Refcounting still frees everything. ``read_live`` pauses
    it by itself; a caller that plans right after reading should hold one pause around both, or the first
    collections after the read walk the whole live state inside ``make_plan``."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(
    api_client: Any,
    desired: Sequence[Manifest],
    *,
    project: str,
    stack: str,
    timeout_s: float,
    namespaces: Iterable[str],
    cluster: str | None,
) -> LiveRead:
    started = time.monotonic()
    reader = ApiReader(api_client, deadline=started + timeout_s)
    index = _index_desired(desired)
    index.namespaces.update(n for n in namespaces if n)
    read = _Read(reader, index, project, stack)

    refs = read.resolve_kinds()
    read.raise_if_failed()
    first = read.run_lists(read.list_tasks(refs))
    read.raise_if_failed()

    namespace_list = first.get(_ListTask(kinds.NAMESPACE, "", False))
    kubevirt_items = first.get(_ListTask(kinds.KUBEVIRT, "", False))
    storage_items = first.get(_ListTask(kinds.STORAGE_CLASS, "", False), [])

    for task, items in first.items():
        if task.labelled or task.ref == kinds.MIGRATION_POLICY:
            read.keep(task.ref, items)
        else:
            read.unfiltered[task] = items
            read.keep(task.ref, items, index.wanted(task.ref, task.namespace), labelled=True)
    if namespace_list is not None:
        read.keep(kinds.NAMESPACE, namespace_list, index.namespaces)

    present = read.present()
    fallback: set[_ListTask] = set()
    for task in first:
        in_scope = (task.ref.group, task.ref.kind, task.namespace if task.ref.namespaced else "")
        if task.labelled and index.wanted(task.ref, task.namespace) - present.get(in_scope, set()):
            fallback.add(_ListTask(task.ref, task.namespace, False))
    missing_namespaces: tuple[str, ...] = ()
    if namespace_list is not None:
        existing = {str(ns["metadata"]["name"]) for ns in namespace_list}
        absent = index.namespaces - existing
        fallback = {task for task in fallback if task.namespace not in absent}
        created = index.names.get((kinds.NAMESPACE.group, kinds.NAMESPACE.kind), {}).get("", set())
        missing_namespaces = tuple(sorted(absent - created))
    for task, items in read.run_lists(sorted(fallback)).items():
        read.keep(task.ref, items, index.wanted(task.ref, task.namespace))

    present = read.present()
    vm_ref, vmi_ref = kinds.VIRTUAL_MACHINE, kinds.VIRTUAL_MACHINE_INSTANCE
    for task, items in read.unfiltered.items():
        if task.ref == vmi_ref:
            vms = present.get((vm_ref.group, vm_ref.kind, task.namespace), set())
            read.keep(task.ref, items, vms)

    pvc_ref = kinds.PERSISTENT_VOLUME_CLAIM
    claims: dict[str, set[str]] = defaultdict(set)
    storage_owners = [*read.objects.values(), *desired]
    for manifest in storage_owners:
        kind = manifest.get("kind")
        if kind not in (kinds.DATA_VOLUME.kind, kinds.VIRTUAL_MACHINE.kind):
            continue
        key = ObjectKey.of(manifest)
        if key.group == kinds.DATA_VOLUME.group and key.kind == kinds.DATA_VOLUME.kind:
            claims[key.namespace].add(key.name)
        elif key.group == kinds.VIRTUAL_MACHINE.group and key.kind == kinds.VIRTUAL_MACHINE.kind:
            claims[key.namespace].update(_claims_of_vm(manifest))
    for task, items in read.unfiltered.items():
        if task.ref == pvc_ref:
            read.keep(task.ref, items, claims.get(task.namespace, set()))

    read.raise_if_failed()

    kubevirt = None
    if kubevirt_items:
        ranked = sorted(
            kubevirt_items,
            key=lambda m: (
                bool(m["metadata"].get("deletionTimestamp")),
                m["metadata"].get("namespace", ""),
                m["metadata"]["name"],
            ),
        )
        kubevirt = ranked[0]

    unmanaged: set[ObjectKey] = set()
    for key in index.keys:
        found = read.objects.get(key)
        if found is not None and not _has_stack_labels(found, read.labels):
            unmanaged.add(key)
    state = LiveState(
        objects=dict(sorted(read.objects.items(), key=_identity_order)),
        kubevirt=kubevirt,
        storage_classes={str(sc["metadata"]["name"]): sc for sc in sorted(storage_items, key=_name)},
        unmanaged=frozenset(unmanaged),
        missing_kinds=tuple(sorted(read.missing_kinds)),
        missing_namespaces=missing_namespaces,
        cluster=cluster if cluster is not None else cluster_display_name(api_client),
    )
    if uses_snapshots(desired):
        state = _with_snapshot_context(state, reader, sorted(index.namespaces))
    notes = tuple(message for _, message in sorted({**read.missing_kinds, **read.unreadable}.items()))
    insecure = insecure_notice(api_client)
    if insecure:
        notes = (insecure, *notes)
    return LiveRead(state, reader.stats(time.monotonic() - started), notes)


def uses_snapshots(desired: Sequence[Manifest]) -> bool:
    """Whether the stack declares snapshots or a restore, or asks for a snapshot before restarts."""
    return any(
        m.get("kind") in (VM_SNAPSHOT, VM_RESTORE)
        or SNAPSHOT_BEFORE_ANNOTATION in ((m.get("metadata") or {}).get("annotations") or {})
        for m in desired
    )


def _with_snapshot_context(state: LiveState, reader: ApiReader, namespaces: Sequence[str]) -> LiveState:
    """``state`` plus the snapshots in ``namespaces`` and the cluster's snapshot classes and profiles.

    A kind the cluster does not serve reads as empty (no VolumeSnapshotClass: ``None``), never as an error:
    the plan then says which disks cannot be snapshotted.
    """
    snapshot_ref, class_ref, profile_ref = kinds.SNAPSHOT_CONTEXT
    calls: list[tuple[str, Mapping[str, str]]] = [(snapshot_ref.collection_path(ns), {}) for ns in namespaces]
    calls += [(class_ref.collection_path(), {}), (profile_ref.collection_path(), {})]
    answers = _parallel(reader, calls)
    bodies = [a.body if isinstance(a, Answer) and a.body is not None else None for a in answers]
    for answer in answers:
        if isinstance(answer, LiveReadError):
            raise answer
    snapshots = {
        ObjectKey(
            snapshot_ref.group, snapshot_ref.kind, str(item["metadata"]["namespace"]), _name(item)
        ): item
        for body in bodies[: len(namespaces)]
        for item in (body or {}).get("items") or ()
    }
    classes = bodies[-2]
    profiles = {_name(p): p for p in (bodies[-1] or {}).get("items") or ()}
    return replace(
        state,
        snapshots=dict(sorted(snapshots.items())),
        snapshot_classes=None if classes is None else tuple(sorted(classes.get("items") or (), key=_name)),
        storage_profiles=dict(sorted(profiles.items())),
    )


def _identity_order(item: tuple[ObjectKey, Manifest]) -> tuple[str, str, str, str]:
    """``ObjectKey`` order, computed once per object rather than in every comparison."""
    key = item[0]
    return (key.group, key.kind, key.namespace, key.name)


def _name(manifest: Manifest) -> str:
    return str(manifest["metadata"]["name"])


def read_live(
    api_client: Any,
    desired: Sequence[Manifest],
    *,
    project: str,
    stack: str,
    timeout_s: float = 60.0,
    namespaces: Iterable[str] = (),
    cluster: str | None = None,
) -> LiveState:
    """The stack's live objects, the ones desired names clash with, and the cluster facts the plan needs.

    ``namespaces`` adds namespaces to read beyond those the desired manifests mention (e.g. from the last
    applied state, so objects whose namespace left the code are still seen). ``missing_namespaces`` lists the
    namespaces desired objects go in that neither exist nor are created by a desired ``Namespace``. Raises
    ``LiveReadError`` with every problem when the cluster cannot be read; a missing kind or namespace is
    recorded, not raised.
    """
    return read_live_with_stats(
        api_client,
        desired,
        project=project,
        stack=stack,
        timeout_s=timeout_s,
        namespaces=namespaces,
        cluster=cluster,
    ).state
