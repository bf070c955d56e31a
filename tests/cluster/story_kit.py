"""What the stories share: a Pulumi program on disk, ``pulumi up`` as server-side apply, kvplan in-process.

The program is the repository's fleet program (``kubevirt:fleet`` in ``Pulumi.<stack>.yaml``), so each story
edits YAML the way a user edits a stack file, and desired state always comes from real rendering.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import ApiClient

from pulumi_kubevirt import cli
from pulumi_kubevirt.live.kinds import object_path
from pulumi_kubevirt.program.desired import desired_state_of_stack

PROJECT = "story"
PULUMI_MANAGER = "pulumi-kubernetes-a1b2c3"
"""pulumi-kubernetes applies as ``pulumi-kubernetes-<random>``; the plan engine treats the prefix as ours."""

FLEET_PROGRAM = Path(__file__).resolve().parents[2] / "programs" / "fleet"
"""The repository's generic fleet program: what a team runs with ``pulumi up``."""

PROGRAM = '''\
"""The fleet program's objects, plus extra VM template labels: what a Pulumi transform would add.

It adds template labels the way an out-of-band transform would, outside the typed ``template_labels``
argument, so the story about template labels registers the compiled objects itself.
"""

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.core.v1 import PersistentVolumeClaim, Secret, Service

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec import StackContext

fleet = load_fleet(pulumi.Config("kubevirt").require_object("fleet"))
context = StackContext(pulumi.get_project(), pulumi.get_stack())
template_labels = pulumi.Config().get_object("template_labels") or {}
for manifest in compile_fleet(fleet, context):
    if manifest["kind"] == "VirtualMachine":
        manifest["spec"]["template"]["metadata"]["labels"].update(template_labels)
    name = f"{manifest['kind']}-{manifest['metadata']['namespace']}-{manifest['metadata']['name']}"
    if manifest["kind"] == "Secret":
        Secret(name, metadata=manifest["metadata"], type=manifest["type"],
               string_data=pulumi.Output.secret(manifest["stringData"]))
    elif manifest["kind"] == "Service":
        Service(name, metadata=manifest["metadata"], spec=manifest["spec"])
    elif manifest["kind"] == "PersistentVolumeClaim":
        PersistentVolumeClaim(name, metadata=manifest["metadata"], spec=manifest["spec"])
    else:
        CustomResource(name, api_version=manifest["apiVersion"], kind=manifest["kind"],
                       metadata=manifest["metadata"], spec=manifest["spec"])
'''


def basic_fleet(namespace: str) -> dict[str, Any]:
    """Two VMs, the smallest fleet the stories change.

    ``web`` is live-migratable (shared root disk) and has cloud-init; ``db`` is not (ReadWriteOnce disks) and
    has a standalone data disk.
    """
    return {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "disks": {"db-data": {"size": "10Gi", "source": {"blank": {}}}},
        "vms": {
            "web": {
                "cpu": {"sockets": 2, "cores": 1, "max_sockets": 8},
                "memory": "2Gi",
                "root_disk": {
                    "image": {"http": {"url": "https://images.example/web-1.qcow2"}},
                    "size": "20Gi",
                    "access_modes": ["ReadWriteMany"],
                },
                "cloud_init": {"user_data": "#cloud-config\npassword: hunter2-story-secret\n"},
            },
            "db": {
                "cpu": {"sockets": 1, "cores": 2},
                "memory": "4Gi",
                "disks": ["db-data"],
                "root_disk": {
                    "image": {"http": {"url": "https://images.example/db-1.qcow2"}},
                    "size": "20Gi",
                },
            },
        },
    }


SECRET_TEXT = "hunter2-story-secret"


@dataclass
class Program:
    """A program directory with one stack whose fleet config a story edits."""

    directory: Path
    stack: str
    fleet: dict[str, Any]
    template_labels: dict[str, str] = field(default_factory=dict)
    extra_config: dict[str, Any] = field(default_factory=dict)

    def write(self) -> Program:
        """Point ``main:`` at the fleet program, or use the local one when template labels are set."""
        self.directory.mkdir(parents=True, exist_ok=True)
        main = "" if self.template_labels else f"main: {FLEET_PROGRAM}\n"
        project = f"name: {PROJECT}\nruntime: python\n{main}"
        (self.directory / "Pulumi.yaml").write_text(project, encoding="utf-8")
        (self.directory / "__main__.py").write_text(PROGRAM, encoding="utf-8")
        config: dict[str, Any] = {"kubevirt:fleet": self.fleet, **self.extra_config}
        if self.template_labels:
            config[f"{PROJECT}:template_labels"] = self.template_labels
        (self.directory / f"Pulumi.{self.stack}.yaml").write_text(
            yaml.safe_dump({"config": config}), encoding="utf-8"
        )
        return self

    def edit(self, path: Sequence[str], value: Any) -> Program:
        """Set ``fleet[path...] = value`` (``None`` removes the key) and rewrite the stack file."""
        holder = self.fleet
        for part in path[:-1]:
            holder = holder.setdefault(part, {})
        if value is None:
            holder.pop(path[-1], None)
        else:
            holder[path[-1]] = copy.deepcopy(value)
        return self.write()

    def manifests(self) -> tuple[dict[str, Any], ...]:
        """The desired objects with real secret values (what pulumi-kubernetes would send)."""
        return tuple(desired_state_of_stack(self.directory, self.stack).manifests)


def request(
    api_client: ApiClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    content_type: str = "application/json",
    query: Sequence[tuple[str, str]] = (),
) -> tuple[int, Any]:
    """One raw request through the real client; returns the status and the decoded body.

    ``body`` is a dict for JSON content types (the client encodes it) and a str otherwise (sent as is).
    """
    method_, url, headers, payload, post = api_client.param_serialize(
        method=method,
        resource_path=path,
        query_params=list(query) or None,
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api_client.call_api(method_, url, headers, payload, post)
    data = response.read()
    return int(response.status), (json.loads(data) if data else None)


def server_side_apply(
    api_client: ApiClient, manifests: Sequence[Mapping[str, Any]], manager: str = PULUMI_MANAGER
) -> None:
    """``pulumi up``: each object applied with ``application/apply-patch+yaml``, forced, under our manager."""
    for manifest in manifests:
        status, body = request(
            api_client,
            "PATCH",
            object_path(manifest),
            json.dumps(manifest),
            content_type="application/apply-patch+yaml",
            query=[("fieldManager", manager), ("force", "true")],
        )
        assert status in (200, 201), f"apply of {object_path(manifest)} answered {status}: {body}"


def patch(
    api_client: ApiClient, manifest: Mapping[str, Any], change: Mapping[str, Any], manager: str
) -> None:
    """An out-of-band edit: a merge patch under another field manager (kubectl edit, virtctl...)."""
    status, body = request(
        api_client,
        "PATCH",
        object_path(manifest),
        dict(change),
        content_type="application/merge-patch+json",
        query=[("fieldManager", manager)],
    )
    assert status == 200, f"patch of {object_path(manifest)} answered {status}: {body}"


def delete(api_client: ApiClient, manifest: Mapping[str, Any]) -> None:
    status, body = request(api_client, "DELETE", object_path(manifest))
    assert status in (200, 202), f"delete of {object_path(manifest)} answered {status}: {body}"


def find(manifests: Sequence[Mapping[str, Any]], kind: str, name: str) -> Mapping[str, Any]:
    (match,) = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    return match


KUBEVIRT_CR = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "KubeVirt",
    "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
}


@contextlib.contextmanager
def rollout(
    api_client: ApiClient, strategy: str, methods: Sequence[str] = ("LiveMigrate",)
) -> Iterator[None]:
    """Switch the KubeVirt CR's ``vmRolloutStrategy`` and workload update methods; restore them afterwards."""
    path = object_path(KUBEVIRT_CR)
    status, before = request(api_client, "GET", path)
    assert status == 200
    configuration = before["spec"].get("configuration", {})
    update = {
        "spec": {
            "configuration": {"vmRolloutStrategy": strategy},
            "workloadUpdateStrategy": {"workloadUpdateMethods": list(methods)},
        }
    }
    patch(api_client, KUBEVIRT_CR, update, "kubectl-edit")
    try:
        yield
    finally:
        restore = {
            "spec": {
                "configuration": {"vmRolloutStrategy": configuration.get("vmRolloutStrategy")},
                "workloadUpdateStrategy": {
                    "workloadUpdateMethods": before["spec"]
                    .get("workloadUpdateStrategy", {})
                    .get("workloadUpdateMethods")
                },
            }
        }
        patch(api_client, KUBEVIRT_CR, restore, "kubectl-edit")


@dataclass(frozen=True)
class Run:
    """One kvplan invocation: exit code and both streams."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def kvplan(*argv: str) -> Run:
    """``kvplan ARGV`` in this process, streams captured (not a TTY, so no colour)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())
