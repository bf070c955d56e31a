"""User stories told through ``kvplan``, on the real API server, with the simulator standing in for KubeVirt.

Every story starts where a team is after ``pulumi up``: the stack's objects applied by server-side apply under
a ``pulumi-kubernetes-*`` field manager, and KubeVirt's defaults written. Then someone edits the stack file
(or the cluster), and kvplan must say what happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from pulumi_kubevirt.compile.claims import claim_growth_patch, claim_request
from pulumi_kubevirt.compile.compiler import WAIT_FOR_ANNOTATION
from pulumi_kubevirt.core.quantity import parse_quantity
from pulumi_kubevirt.facts.disk_growth import DATAVOLUME_SIZE

from .story_kit import (
    PULUMI_MANAGER,
    SECRET_TEXT,
    Program,
    Run,
    basic_fleet,
    delete,
    find,
    kvplan,
    object_path,
    patch,
    request,
    rollout,
    server_side_apply,
)


@pytest.fixture
def kubeconfig(cluster: Any) -> str:
    return str(cluster.kubeconfig_path)


@pytest.fixture
def applied(api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path) -> Program:
    """The basic fleet, applied as ``pulumi up`` would, with KubeVirt's defaults written and VMs running."""
    program = Program(tmp_path / "fleet", "dev", basic_fleet(namespace)).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    return program


def plan(program: Program, kubeconfig: str, *extra: str) -> Run:
    return kvplan(
        "plan", str(program.directory), "--stack", program.stack, "--kubeconfig", kubeconfig, *extra
    )


def plan_json(program: Program, kubeconfig: str) -> dict[str, Any]:
    run = plan(program, kubeconfig, "--format", "json")
    assert run.err == ""
    document: dict[str, Any] = run.json
    return document


def drift(program: Program, kubeconfig: str, *extra: str) -> Run:
    return kvplan(
        "drift", str(program.directory), "--stack", program.stack, "--kubeconfig", kubeconfig, *extra
    )


def resource(document: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    (match,) = [
        r for r in document["resources"] if r["object"]["kind"] == kind and r["object"]["name"] == name
    ]
    return match


def lines(text: str) -> list[str]:
    """Output lines with runs of spaces squeezed, so assertions do not depend on column widths."""
    return [" ".join(line.split()) for line in text.splitlines()]


def changed(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(kind, name, action, impact)`` of every resource that changes."""
    return [
        (r["object"]["kind"], r["object"]["name"], r["action"], r["impact"])
        for r in document["resources"]
        if r["action"] != "no-op"
    ]


# --- after pulumi up ------------------------------------------------------------------------------


def test_right_after_apply_the_plan_is_empty_and_nothing_drifted(applied: Program, kubeconfig: str) -> None:
    run = plan(applied, kubeconfig, "--detailed-exitcode")
    assert (run.code, run.err) == (0, "")
    assert "No changes: the cluster matches the code." in run.out

    checked = drift(applied, kubeconfig)
    assert (checked.code, checked.err) == (0, "")
    assert "No drift" in checked.out
    assert "platform-written field(s) hidden" in checked.out


def test_the_installed_kvplan_command_plans_in_a_real_process(applied: Program, kubeconfig: str) -> None:
    executable = shutil.which("kvplan", path=str(Path(sys.executable).parent))
    assert executable is not None, "the kvplan console script is not installed next to this Python"
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [executable, "plan", str(applied.directory), "--stack", "dev", "--kubeconfig", kubeconfig],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Plan for cluster ")
    assert "No changes" in done.stdout
    assert "\033[" not in done.stdout


def test_platform_written_fields_are_listed_only_on_request(applied: Program, kubeconfig: str) -> None:
    quiet = drift(applied, kubeconfig, "--format", "json")
    verbose = drift(applied, kubeconfig, "--format", "json", "--verbose")

    assert quiet.code == verbose.code == 0
    assert quiet.json["findings"] == []
    platform = {(f["object"]["name"], f["path"]) for f in verbose.json["findings"]}
    assert ("web", "spec.template.spec.domain.firmware.uuid") in platform
    assert ("db", "spec.template.spec.domain.machine.type") in platform
    assert {f["kind"] for f in verbose.json["findings"]} == {"platform"}


# --- changing the code ----------------------------------------------------------------------------


def test_more_sockets_under_live_update_go_live_by_migration(
    api_client: ApiClient, applied: Program, kubeconfig: str
) -> None:
    applied.edit(["vms", "web", "cpu", "sockets"], 4)
    applied.edit(["vms", "db", "cpu", "sockets"], 2)
    with rollout(api_client, "LiveUpdate"):
        document = plan_json(applied, kubeconfig)
        text = plan(applied, kubeconfig).out

    assert document["facts"]["rollout"] == "LiveUpdate"
    assert changed(document) == [
        ("VirtualMachine", "db", "update", "restart"),
        ("VirtualMachine", "web", "update", "live-migration"),
    ]
    (sockets,) = resource(document, "VirtualMachine", "web")["changes"]
    assert (sockets["path"], sockets["before"], sockets["after"]) == (
        "spec.template.spec.domain.cpu.sockets",
        2,
        4,
    )
    (db_sockets,) = resource(document, "VirtualMachine", "db")["changes"]
    assert "not live-migratable" in db_sockets["reason"]
    assert "spec.template.spec.domain.cpu.sockets: 2 -> 4" in text


def test_more_cores_restart_the_running_vm(applied: Program, kubeconfig: str, namespace: str) -> None:
    applied.edit(["vms", "db", "cpu", "cores"], 4)

    run = plan(applied, kubeconfig, "--detailed-exitcode")
    gated = plan(applied, kubeconfig, "--fail-on", "restart")
    not_gated = plan(applied, kubeconfig, "--fail-on", "destroys-data")

    assert run.code == 2
    assert f"~ VirtualMachine {namespace}/db update, restart required" in lines(run.out)
    assert "spec.template.spec.domain.cpu.cores: 2 -> 4" in run.out
    assert gated.code == 3
    assert not_gated.code == 0


def test_a_restart_an_earlier_apply_left_is_shown_by_kvplan_plan(
    applied: Program, api_client: ApiClient, simulator: Any, namespace: str, kubeconfig: str
) -> None:
    """More cores applied under the default defer: KubeVirt stages them; every later plan says so."""
    applied.edit(["vms", "db", "cpu", "cores"], 4)
    pulumi_up(api_client, applied, simulator, namespace)
    vm = _read(api_client, find(applied.manifests(), "VirtualMachine", "db"))
    (condition,) = [c for c in vm["status"]["conditions"] if c["type"] == "RestartRequired"]

    text = plan(applied, kubeconfig, "--detailed-exitcode")
    document = plan_json(applied, kubeconfig)
    markdown = plan(applied, kubeconfig, "--format", "markdown")

    assert text.code == 0, "nothing left to apply: a pending restart is not a change"
    assert "No changes: the cluster matches the code." in text.out
    assert "Pending restarts left by an earlier apply:" in text.out
    expected = (
        f"~ VirtualMachine {namespace}/db: restart pending since {condition['lastTransitionTime']} "
        "(RestartRequired: a non-live-updatable field was changed in the template spec); the running guest "
        "keeps its old configuration until the VM restarts"
    )
    assert expected in lines(text.out)
    assert changed(document) == []
    assert resource(document, "VirtualMachine", "db")["pending_restart"] == {
        "message": condition["message"],
        "since": condition["lastTransitionTime"],
    }
    assert "pending_restart" not in resource(document, "VirtualMachine", "web")
    assert "#### Pending restarts left by an earlier apply" in markdown.out


def test_more_cores_on_a_halted_vm_apply_at_its_next_start(
    api_client: ApiClient, applied: Program, kubeconfig: str, simulator: Any, namespace: str
) -> None:
    applied.edit(["vms", "db", "run_strategy"], "Halted")
    server_side_apply(api_client, applied.manifests())
    simulator.settle(namespace)
    assert plan(applied, kubeconfig, "--detailed-exitcode").code == 0

    applied.edit(["vms", "db", "cpu", "cores"], 4)
    document = plan_json(applied, kubeconfig)

    db = resource(document, "VirtualMachine", "db")
    assert (db["action"], db["impact"]) == ("update", "none")
    assert any("next start" in note for note in db["notes"])
    assert plan(applied, kubeconfig, "--fail-on", "restart").code == 0


def _read(api_client: ApiClient, manifest: Mapping[str, Any], kind: str = "") -> dict[str, Any]:
    target = {**manifest, "kind": kind} if kind else manifest
    if kind == "PersistentVolumeClaim":
        target = {**target, "apiVersion": "v1"}
    status, body = request(api_client, "GET", object_path(target))
    assert status == 200, body
    found: dict[str, Any] = body
    return found


CLAIM_PATCH_MANAGER = "pulumi-kubernetes-claim-patch"


def _keep_live_size(api_client: ApiClient, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A DataVolume as pulumi-kubernetes sends it under ``ignore_changes``: the size the live one has."""
    status, live = request(api_client, "GET", object_path(manifest))
    if status == 404:
        return dict(manifest)
    assert status == 200, live
    spec = dict(manifest["spec"])
    for path in DATAVOLUME_SIZE.paths:
        holder = path[1]
        if isinstance(holder, str) and holder in spec and holder in live["spec"]:
            spec[holder] = {**spec[holder], "resources": live["spec"][holder]["resources"]}
    return {**manifest, "spec": spec}


def pulumi_up(api_client: ApiClient, program: Program, simulator: Any, namespace: str) -> None:
    """``pulumi up`` with the components' options: DataVolume sizes ignored, then each claim patch applied."""
    manifests = program.manifests()
    sent = [_keep_live_size(api_client, m) if m["kind"] == "DataVolume" else m for m in manifests]
    server_side_apply(api_client, sent)
    simulator.settle(namespace)
    patches = [p for p in (claim_growth_patch(m) for m in manifests) if p is not None]
    server_side_apply(api_client, patches, manager=CLAIM_PATCH_MANAGER)
    simulator.settle(namespace)


def test_a_datavolume_disk_grows_in_place_through_its_claim(
    applied: Program, api_client: ApiClient, simulator: Any, namespace: str, kubeconfig: str
) -> None:
    """The plan says live; the claim patch grows the claim; the DataVolume is untouched; the plan is empty."""
    before = find(applied.manifests(), "DataVolume", "db-data")
    data_volume = _read(api_client, before)
    claim = _read(api_client, before, "PersistentVolumeClaim")
    applied.edit(["disks", "db-data", "size"], "20Gi")

    document = plan_json(applied, kubeconfig)

    assert changed(document) == [("DataVolume", "db-data", "update", "live")]
    (grow,) = resource(document, "DataVolume", "db-data")["changes"]
    assert (grow["before"], grow["after"]) == ("10Gi", "20Gi")
    assert "inside the guest, extend the partition and filesystem" in grow["reason"]
    assert plan(applied, kubeconfig, "--fail-on", "destroys-data").code == 0

    pulumi_up(api_client, applied, simulator, namespace)

    grown_claim = _read(api_client, before, "PersistentVolumeClaim")
    # The same claim (its data kept: same object, same creation), grown to what CDI asks for 20Gi.
    assert grown_claim["metadata"]["uid"] == claim["metadata"]["uid"]
    assert grown_claim["metadata"]["creationTimestamp"] == claim["metadata"]["creationTimestamp"]
    wanted = claim_request(find(applied.manifests(), "DataVolume", "db-data"))
    assert parse_quantity(grown_claim["status"]["capacity"]["storage"]) == wanted
    assert wanted is not None
    assert wanted > parse_quantity(claim["spec"]["resources"]["requests"]["storage"])
    untouched = _read(api_client, before)
    assert untouched["metadata"]["uid"] == data_volume["metadata"]["uid"]
    assert untouched["spec"] == data_volume["spec"]
    assert changed(plan_json(applied, kubeconfig)) == []


def test_a_stack_applied_with_the_previous_layout_upgrades_without_replacing_a_disk(
    api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path, kubeconfig: str
) -> None:
    """Applied as main registered it (no claim patch, no waitFor on DataVolumes), then with this release."""
    program = Program(tmp_path / "fleet", "dev", basic_fleet(namespace)).write()
    previous = [_previous_layout(m) for m in program.manifests()]
    server_side_apply(api_client, previous)
    simulator.settle(namespace)
    disks = [m for m in program.manifests() if m["kind"] in ("DataVolume", "PersistentVolumeClaim")]
    uids = {m["metadata"]["name"]: _read(api_client, m)["metadata"]["uid"] for m in disks}
    claims = {
        m["metadata"]["name"]: _read(api_client, m, "PersistentVolumeClaim")["metadata"]["uid"]
        for m in disks
        if m["kind"] == "DataVolume"
    }

    document = plan_json(program, kubeconfig)

    assert [c for c in changed(document) if c[2] in ("replace", "delete")] == []
    assert {c[0] for c in changed(document)} <= {"DataVolume"}
    assert all(c[3] == "none" for c in changed(document)), changed(document)
    pulumi_up(api_client, program, simulator, namespace)
    assert {m["metadata"]["name"]: _read(api_client, m)["metadata"]["uid"] for m in disks} == uids
    assert {
        name: _read(api_client, find(disks, "DataVolume", name), "PersistentVolumeClaim")["metadata"]["uid"]
        for name in claims
    } == claims
    assert changed(plan_json(program, kubeconfig)) == []


def _previous_layout(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest as main compiled it before claim growth: DataVolumes without the claim-name wait."""
    if manifest["kind"] != "DataVolume":
        return manifest
    annotations = {
        k: v for k, v in manifest["metadata"].get("annotations", {}).items() if k != WAIT_FOR_ANNOTATION
    }
    return {**manifest, "metadata": {**manifest["metadata"], "annotations": annotations}}


def test_a_disk_on_a_class_without_expansion_cannot_grow(
    api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path, kubeconfig: str
) -> None:
    fleet = basic_fleet(namespace)
    fleet["disks"]["db-data"]["storage_class"] = "fixed-size"
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    program.edit(["disks", "db-data", "size"], "20Gi")

    run = plan(program, kubeconfig, "--detailed-exitcode")

    assert run.code == 1
    assert "storage class fixed-size has no allowVolumeExpansion: true" in run.out
    assert "Set allowVolumeExpansion: true on class fixed-size, or keep the size at 10Gi." in run.out
    assert "Traceback" not in run.out + run.err


def test_a_plain_pvc_disk_grows_in_place(
    api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path, kubeconfig: str
) -> None:
    fleet = basic_fleet(namespace)
    fleet["disks"]["db-logs"] = {"size": "5Gi", "pvc_only": True}
    fleet["vms"]["db"]["disks"] = ["db-data", "db-logs"]
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    program.edit(["disks", "db-logs", "size"], "8Gi")

    document = plan_json(program, kubeconfig)

    assert changed(document) == [("PersistentVolumeClaim", "db-logs", "update", "live")]
    (grow,) = resource(document, "PersistentVolumeClaim", "db-logs")["changes"]
    assert (grow["before"], grow["after"]) == ("5Gi", "8Gi")
    assert plan(program, kubeconfig, "--fail-on", "restart").code == 0


def test_a_disk_cannot_shrink(applied: Program, kubeconfig: str, namespace: str) -> None:
    applied.edit(["disks", "db-data", "size"], "5Gi")

    run = plan(applied, kubeconfig, "--detailed-exitcode")

    assert run.code == 1
    assert f"~ DataVolume {namespace}/db-data update" in lines(run.out)
    assert f"x DataVolume {namespace}/db-data spec.storage.resources.requests.storage: " in run.out
    assert "cannot shrink from 10Gi to 5Gi" in run.out
    assert "Traceback" not in run.out + run.err


def test_a_new_disk_source_destroys_its_data(
    applied: Program, kubeconfig: str, tmp_path: Path, namespace: str
) -> None:
    applied.edit(["disks", "db-data", "source"], {"http": {"url": "https://images.example/db-data-2.qcow2"}})
    saved = tmp_path / "plan.json"

    run = plan(applied, kubeconfig, "--fail-on", "destroys-data", "--out", str(saved))
    markdown = plan(applied, kubeconfig, "--format", "markdown")

    # The disk does not allow data loss: an error (exit 1) naming the disk, the field and the option.
    assert run.code == 1
    assert f"-/+ DataVolume {namespace}/db-data replace, DESTROYS DATA" in lines(run.out)
    assert f"Disk db-data (DataVolume {namespace}/db-data): changing spec.source." in run.out
    assert "recreates the disk, and its data is lost" in run.out
    assert "set allow_data_loss: true on disk db-data" in run.out
    document = kvplan("show", str(saved), "--format", "text")
    assert (document.code, document.out) == (0, run.out)
    assert "1 resource loses data" in markdown.out
    assert "| ❌ | DataVolume `" in markdown.out
    assert "| replace | destroys-data |" in markdown.out


def test_removing_a_vm_from_the_code_deletes_it_and_its_root_disk(applied: Program, kubeconfig: str) -> None:
    del applied.fleet["vms"]["db"]
    applied.edit(["disks"], {})
    applied.edit(["vms", "web", "disks"], None)

    document = plan_json(applied, kubeconfig)

    assert sorted(changed(document)) == [
        ("DataVolume", "db-data", "delete", "destroys-data"),
        ("DataVolume", "db-root", "delete", "destroys-data"),
        ("VirtualMachine", "db", "delete", "restart"),
    ]
    assert plan(applied, kubeconfig, "--fail-on", "destroys-data").code == 3


def test_a_template_label_has_no_effect_until_a_restart(applied: Program, kubeconfig: str) -> None:
    applied.template_labels = {"tier": "b"}
    applied.write()

    run = plan(applied, kubeconfig)
    document = plan_json(applied, kubeconfig)

    assert {(kind, impact) for kind, _, _, impact in changed(document)} == {("VirtualMachine", "no-effect")}
    assert "no effect on the running guest" in run.out
    assert 'spec.template.metadata.labels.tier: "b"' in run.out
    assert "after a restart" in run.out


def test_new_cloud_init_user_data_is_reported_without_its_value(
    applied: Program, kubeconfig: str, tmp_path: Path
) -> None:
    new_secret = "hunter3-never-printed"
    applied.edit(["vms", "web", "cloud_init", "user_data"], f"#cloud-config\npassword: {new_secret}\n")
    saved = tmp_path / "plan.json"

    outputs = [
        plan(applied, kubeconfig, "--out", str(saved)),
        plan(applied, kubeconfig, "--format", "markdown", "--verbose"),
        plan(applied, kubeconfig, "--format", "json"),
        kvplan("show", str(saved), "--format", "markdown"),
        drift(applied, kubeconfig, "--verbose"),
        drift(applied, kubeconfig, "--format", "json", "--verbose"),
        kvplan("render", str(applied.directory), "--stack", "dev"),
    ]

    secret = resource(outputs[2].json, "Secret", "web-cloudinit")
    assert secret["impact"] == "no-effect"
    assert all(change["secret"] for change in secret["changes"])
    assert "(sensitive value changed)" in outputs[0].out
    for run in outputs:
        for value in (new_secret, SECRET_TEXT):
            assert value not in run.out + run.err
    assert new_secret not in saved.read_text()
    assert SECRET_TEXT not in saved.read_text()


# --- changing the cluster -------------------------------------------------------------------------


def test_virtctl_stopping_a_vm_is_drift_owned_by_virtctl(
    applied: Program, kubeconfig: str, simulator: Any, namespace: str
) -> None:
    simulator.stop_vm(namespace, "web")

    run = drift(applied, kubeconfig)
    document = drift(applied, kubeconfig, "--format", "json").json

    assert run.code == 2
    assert (
        f'VirtualMachine {namespace}/web: spec.runStrategy "Always" -> "Halted", changed by virtctl at '
        in run.out
    )
    (finding,) = document["findings"]
    assert (finding["kind"], finding["manager"], finding["desired"], finding["live"]) == (
        "modified",
        "virtctl",
        "Always",
        "Halted",
    )
    assert finding["time"].endswith("Z")
    restart = plan_json(applied, kubeconfig)
    assert changed(restart) == [("VirtualMachine", "web", "update", "live")]


def test_a_field_edited_with_kubectl_names_that_manager(
    api_client: ApiClient, applied: Program, kubeconfig: str
) -> None:
    data = find(applied.manifests(), "DataVolume", "db-data")
    relabel = {"metadata": {"labels": {"pulumi-kubevirt/component": "hand-edited"}}}
    patch(api_client, data, relabel, "kubectl-edit")

    run = drift(applied, kubeconfig, "--format", "markdown")

    assert run.code == 2
    assert "| modified | `DataVolume " in run.out
    assert "kubectl-edit" in run.out
    assert PULUMI_MANAGER not in run.out


def test_an_object_deleted_out_of_band_is_drift_and_the_plan_recreates_it(
    api_client: ApiClient, applied: Program, kubeconfig: str, namespace: str
) -> None:
    delete(api_client, find(applied.manifests(), "Secret", "web-cloudinit"))

    run = drift(applied, kubeconfig)
    document = plan_json(applied, kubeconfig)

    assert run.code == 2
    assert f"deleted   Secret {namespace}/web-cloudinit: not found in the cluster" in run.out
    assert changed(document) == [("Secret", "web-cloudinit", "create", "none")]
