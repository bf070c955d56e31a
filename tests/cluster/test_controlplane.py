"""The local control plane: what it installs, how it is reached, and that it leaves no process behind."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client import ApiClient

from package_data import bundle_dir
from pulumi_kubevirt_devcluster.controlplane import (
    Binaries,
    ControlPlane,
    ControlPlaneError,
    find_or_build_binaries,
    process_alive,
)


def _bundle_documents(relative: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted((bundle_dir() / relative).parent.glob(Path(relative).name)):
        with path.open() as stream:
            documents.extend(doc for doc in yaml.load_all(stream, Loader=yaml.CSafeLoader) if doc)
    return documents


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def _wait_gone(pids: list[int], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(process_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_the_kubeconfig_works_with_a_fresh_client_and_is_private(cluster: ControlPlane) -> None:
    fresh = config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    try:
        version = client.VersionApi(fresh).get_code()
        namespaces = {ns.metadata.name for ns in client.CoreV1Api(fresh).list_namespace().items}
    finally:
        fresh.close()

    assert version.major == "1"
    assert {"default", "kube-system", "kubevirt"} <= namespaces
    assert stat.S_IMODE(cluster.kubeconfig_path.stat().st_mode) == 0o600
    kubeconfig = yaml.safe_load(cluster.kubeconfig_path.read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == cluster.server
    assert kubeconfig["users"][0]["user"] == {"token": cluster.token}


def test_a_wrong_token_is_refused(cluster: ControlPlane) -> None:
    configuration = client.Configuration()
    configuration.host = cluster.server
    configuration.ssl_ca_cert = str(cluster.ca_path)
    configuration.api_key = {"BearerToken": "Bearer not-the-token"}
    with ApiClient(configuration) as stranger, pytest.raises(client.exceptions.ApiException) as refused:
        client.CoreV1Api(stranger).list_namespace()

    assert refused.value.status == 401


def test_every_bundled_crd_is_installed_and_established(api_client: ApiClient) -> None:
    expected = {crd["metadata"]["name"] for crd in _bundle_documents("crds/k8s-1.20/*.yaml")}
    listing = client.ApiextensionsV1Api(api_client).list_custom_resource_definition(_preload_content=False)
    established = {
        crd["metadata"]["name"]
        for crd in json.loads(listing.data)["items"]
        if any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    }

    assert len(expected) == 33
    assert expected <= established


@pytest.mark.parametrize(
    ("kind", "plural"),
    [
        pytest.param(
            "VirtualMachineClusterInstancetype", "virtualmachineclusterinstancetypes", id="instancetypes"
        ),
        pytest.param("VirtualMachineClusterPreference", "virtualmachineclusterpreferences", id="preferences"),
    ],
)
def test_the_common_instancetypes_are_installed(api_client: ApiClient, kind: str, plural: str) -> None:
    expected = {
        doc["metadata"]["name"]
        for doc in _bundle_documents("instancetypes/common-instancetypes-v1.7.0.yaml")
        if doc["kind"] == kind
    }
    listing = client.CustomObjectsApi(api_client).list_cluster_custom_object(
        "instancetype.kubevirt.io", "v1beta1", plural
    )

    assert expected, "the bundle has some"
    assert {item["metadata"]["name"] for item in listing["items"]} == expected


def test_the_kubevirt_cr_exists_with_the_default_rollout_strategy(api_client: ApiClient) -> None:
    kubevirt = client.CustomObjectsApi(api_client).get_namespaced_custom_object(
        "kubevirt.io", "v1", "kubevirt", "kubevirts", "kubevirt"
    )

    assert "vmRolloutStrategy" not in kubevirt["spec"].get("configuration", {}), "unset: LiveUpdate"
    assert kubevirt["status"]["phase"] == "Deployed"


def test_the_storage_classes_are_installed(api_client: ApiClient) -> None:
    classes = {sc.metadata.name: sc for sc in client.StorageV1Api(api_client).list_storage_class().items}
    default_annotation = "storageclass.kubernetes.io/is-default-class"

    assert set(classes) == {"standard", "fixed-size"}
    assert classes["standard"].metadata.annotations == {default_annotation: "true"}
    assert classes["standard"].allow_volume_expansion is True
    assert classes["fixed-size"].allow_volume_expansion is False
    assert not (classes["fixed-size"].metadata.annotations or {}).get(default_annotation)
    assert {sc.provisioner for sc in classes.values()} == {"kubevirt.io/simulated"}


def test_stop_leaves_no_process_and_no_directory() -> None:
    plane = ControlPlane().start()
    pids = [plane.etcd_pid, plane.apiserver_pid]
    workdir = plane.workdir
    assert all(pid is not None and process_alive(pid) for pid in pids)

    plane.stop()

    assert all(pid is not None and _gone(pid) for pid in pids), "stopped and reaped"
    assert not workdir.exists()


def test_a_failed_start_says_why_shows_the_log_and_leaves_no_process(tmp_path: Path) -> None:
    failing = tmp_path / "kube-apiserver"
    failing.write_text("#!/bin/sh\necho 'Error: this apiserver cannot start' >&2\nexit 3\n")
    failing.chmod(0o755)
    real = find_or_build_binaries()
    plane = ControlPlane(binaries=Binaries(kube_apiserver=failing, etcd=real.etcd, openssl=real.openssl))

    with pytest.raises(ControlPlaneError) as failure:
        plane.start()

    message = str(failure.value)
    assert "kube-apiserver exited with code 3" in message
    assert "this apiserver cannot start" in message
    assert plane.etcd_pid is None
    assert not plane.workdir.exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_to_the_owning_process_stops_the_control_plane(
    tmp_path: Path, signum: signal.Signals
) -> None:
    pids_file = tmp_path / "pids.json"
    program = textwrap.dedent(
        f"""
        import json, time
        from pulumi_kubevirt_devcluster.controlplane import ControlPlane
        plane = ControlPlane().start()
        open({str(pids_file)!r}, "w").write(json.dumps([plane.etcd_pid, plane.apiserver_pid]))
        time.sleep(120)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", program], stderr=subprocess.PIPE)
    try:
        # The start gives up by itself (each of its waits has a time limit), so wait for it or for its exit;
        # on a loaded machine a start takes a minute. The deadline only guards against a hang.
        deadline = time.monotonic() + 300
        while not pids_file.exists() and owner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not pids_file.exists():
            owner.kill()
            _, stderr = owner.communicate()
            pytest.fail(
                f"the control plane did not start (exit {owner.returncode}):\n{stderr.decode()[-3000:]}"
            )
        pids = json.loads(pids_file.read_text())
        owner.send_signal(signum)
        code = owner.wait(timeout=30)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()

    assert code == -signum, "the handler stops the control plane, then re-raises the signal"
    assert all(_gone(pid) for pid in pids)


def test_up_status_down_run_it_in_the_background(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"

    def devcluster(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pulumi_kubevirt_devcluster", action, "--state-dir", str(state_dir)],
            capture_output=True,
            text=True,
            check=False,
        )

    up = devcluster("up")
    state = json.loads((state_dir / "state.json").read_text())
    pids = [entry["pid"] for entry in state["processes"].values()]
    try:
        status_up = devcluster("status")
        kube = config.new_client_from_config(config_file=str(state_dir / "kubeconfig"))
        with kube:
            version = client.VersionApi(kube).get_code()
    finally:
        down = devcluster("down")
    status_down = devcluster("status")

    assert up.returncode == 0, up.stderr
    assert up.stdout == f"export KUBECONFIG={state_dir.resolve() / 'kubeconfig'}\n"
    assert (status_up.returncode, status_down.returncode) == (0, 1)
    assert version.major == "1"
    assert down.returncode == 0
    assert _wait_gone(pids), "down stops both processes"
    assert not state_dir.exists()
