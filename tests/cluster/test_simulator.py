"""The KubeVirt/CDI simulator, told as a user's story against the real kube-apiserver.

A user applies a VM, its disk and its cloud-init Secret the way pulumi-kubernetes does (server-side apply
under the ``pulumi-kubernetes`` field manager); the simulator plays KubeVirt and CDI; the tests read back what
a user would see.
"""

from __future__ import annotations

import copy
import ipaddress
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pulumi_kubevirt_devcluster.simulator import FailureMode, Simulator, SimulatorError

PULUMI = "pulumi-kubernetes"
APPLY = "application/apply-patch+yaml"
KUBEVIRT_FIRMWARE_NAMESPACE = uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895")
Obj = dict[str, Any]


# The user's side: server-side apply, reads ------------------------------------------------------------------


def _custom(api_client: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api_client)


_PLURALS = {
    "VirtualMachine": ("kubevirt.io", "v1", "virtualmachines"),
    "VirtualMachineInstance": ("kubevirt.io", "v1", "virtualmachineinstances"),
    "VirtualMachineInstanceMigration": ("kubevirt.io", "v1", "virtualmachineinstancemigrations"),
    "DataVolume": ("cdi.kubevirt.io", "v1beta1", "datavolumes"),
}


def apply(api_client: client.ApiClient, namespace: str, manifest: Obj, manager: str = PULUMI) -> None:
    """Server-side apply, as pulumi-kubernetes does it."""
    name = manifest["metadata"]["name"]
    if manifest["kind"] == "Secret":
        client.CoreV1Api(api_client).patch_namespaced_secret(
            name, namespace, manifest, field_manager=manager, force=True, _content_type=APPLY
        )
        return
    group, version, plural = _PLURALS[manifest["kind"]]
    _custom(api_client).patch_namespaced_custom_object(
        group,
        version,
        namespace,
        plural,
        name,
        manifest,
        field_manager=manager,
        force=True,
        _content_type=APPLY,
    )


def get(api_client: client.ApiClient, kind: str, namespace: str, name: str) -> Obj | None:
    group, version, plural = _PLURALS[kind]
    try:
        found = cast(
            Obj, _custom(api_client).get_namespaced_custom_object(group, version, namespace, plural, name)
        )
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    return found


def must_get(api_client: client.ApiClient, kind: str, namespace: str, name: str) -> Obj:
    found = get(api_client, kind, namespace, name)
    assert found is not None, f"{kind} {namespace}/{name} is missing"
    return found


def pvc(api_client: client.ApiClient, namespace: str, name: str) -> Obj:
    model = client.CoreV1Api(api_client).read_namespaced_persistent_volume_claim(name, namespace)
    return cast(Obj, api_client.sanitize_for_serialization(model))  # type: ignore[no-untyped-call]


def migrations(api_client: client.ApiClient, namespace: str) -> list[Obj]:
    group, version, plural = _PLURALS["VirtualMachineInstanceMigration"]
    answer = _custom(api_client).list_namespaced_custom_object(group, version, namespace, plural)
    return list(cast(Obj, answer)["items"])


def conditions(obj: Obj) -> dict[str, Obj]:
    return {item["type"]: item for item in obj.get("status", {}).get("conditions", [])}


def managers_of(obj: Obj, field_key: str) -> set[str]:
    """Field managers whose managedFields mention ``field_key`` (e.g. ``f:uuid``)."""
    return {
        entry["manager"]
        for entry in obj["metadata"].get("managedFields", [])
        if field_key in str(entry["fieldsV1"])
    }


# The user's objects -----------------------------------------------------------------------------------------


def cloud_init_secret(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "stringData": {"userdata": "#cloud-config\npassword: hunter2\nchpasswd: {expire: false}\n"},
    }


CDI_CLAIM_FOR_10GI = "11381663335"
"""CDI v1.66.0 GetRequiredSpace(0.06, 10Gi): ceil(10 x 2**30 x 1.06) bytes, the claim a storage-API
Filesystem DataVolume of 10Gi gets (Block volumes and ``spec.pvc`` are not inflated)."""
CDI_CLAIM_FOR_5GI = "5690831668"
"""ceil(5 x 2**30 x 1.06)."""


def data_volume(name: str, source: Obj | None = None, size: str = "10Gi", **storage: Any) -> Obj:
    return {
        "apiVersion": "cdi.kubevirt.io/v1beta1",
        "kind": "DataVolume",
        "metadata": {"name": name},
        "spec": {
            "source": source or {"http": {"url": "https://images.example/fedora-40.qcow2"}},
            "storage": {"resources": {"requests": {"storage": size}}, **storage},
        },
    }


def virtual_machine(
    name: str,
    *,
    run_strategy: str = "Always",
    cores: int = 2,
    sockets: int | None = None,
    disk: Obj | None = None,
    secret: str | None = None,
    labels: Obj | None = None,
) -> Obj:
    disks: list[Obj] = []
    volumes: list[Obj] = []
    if disk is not None:
        disks.append({"name": "root", "disk": {"bus": "virtio"}, "bootOrder": 1})
        volumes.append({"name": "root", **disk})
    if secret is not None:
        disks.append({"name": "cloudinit", "disk": {"bus": "virtio"}})
        volumes.append({"name": "cloudinit", "cloudInitNoCloud": {"secretRef": {"name": secret}}})
    cpu: Obj = {"cores": cores}
    if sockets is not None:
        cpu["sockets"] = sockets
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "runStrategy": run_strategy,
            "template": {
                "metadata": {"labels": labels or {"app": name, "tier": "web"}},
                "spec": {
                    "domain": {
                        "cpu": cpu,
                        "memory": {"guest": "2Gi"},
                        "devices": {"disks": disks, "interfaces": [{"name": "default", "masquerade": {}}]},
                    },
                    "networks": [{"name": "default", "pod": {}}],
                    "volumes": volumes,
                },
            },
        },
    }


def container_disk() -> Obj:
    return {"containerDisk": {"image": "quay.io/containerdisks/fedora:40"}}


def data_volume_disk(name: str) -> Obj:
    return {"dataVolume": {"name": name}}


@pytest.fixture
def web_vm(api_client: client.ApiClient, namespace: str, simulator: Simulator) -> Obj:
    """A running VM with an imported root disk and a cloud-init Secret: the usual starting point."""
    apply(api_client, namespace, cloud_init_secret("web-cloudinit"))
    apply(api_client, namespace, data_volume("web-root"))
    apply(
        api_client,
        namespace,
        virtual_machine("web", disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.settle(namespace)
    return must_get(api_client, "VirtualMachine", namespace, "web")


@pytest.fixture
def rollout(api_client: client.ApiClient) -> Iterator[Any]:
    """Set the cluster-wide vmRolloutStrategy and workloadUpdateMethods for one test, then restore them."""
    custom = _custom(api_client)
    original = cast(
        Obj, custom.get_namespaced_custom_object("kubevirt.io", "v1", "kubevirt", "kubevirts", "kubevirt")
    )
    configuration = copy.deepcopy(original["spec"].get("configuration", {}))
    workload_update = copy.deepcopy(original["spec"].get("workloadUpdateStrategy", {}))

    def set_strategy(strategy: str, methods: tuple[str, ...] = ("LiveMigrate",)) -> None:
        body = {
            "spec": {
                "configuration": {"vmRolloutStrategy": strategy},
                "workloadUpdateStrategy": {"workloadUpdateMethods": list(methods)},
            }
        }
        custom.patch_namespaced_custom_object("kubevirt.io", "v1", "kubevirt", "kubevirts", "kubevirt", body)

    yield set_strategy
    restore = [
        {"op": "replace", "path": "/spec/configuration", "value": configuration},
        {"op": "replace", "path": "/spec/workloadUpdateStrategy", "value": workload_update},
    ]
    custom.patch_namespaced_custom_object(
        "kubevirt.io",
        "v1",
        "kubevirt",
        "kubevirts",
        "kubevirt",
        restore,
        _content_type="application/json-patch+json",
    )


# Stories ----------------------------------------------------------------------------------------------------


def test_a_vm_with_an_imported_disk_comes_up_running_with_an_ip(
    api_client: client.ApiClient, namespace: str, web_vm: Obj
) -> None:
    status = web_vm["status"]
    assert status["printableStatus"] == "Running"
    assert status["ready"] is True
    assert status["created"] is True
    assert status["runStrategy"] == "Always"
    assert status["observedGeneration"] == status["desiredGeneration"] == web_vm["metadata"]["generation"]
    vm_conditions = conditions(web_vm)
    assert vm_conditions["Ready"]["status"] == "True"
    assert vm_conditions["AgentConnected"]["status"] == "True"
    assert "RestartRequired" not in vm_conditions

    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "web")
    assert vmi["metadata"]["ownerReferences"][0]["uid"] == web_vm["metadata"]["uid"]
    assert vmi["metadata"]["labels"] == {"app": "web", "tier": "web"}
    assert vmi["status"]["phase"] == "Running"
    assert vmi["status"]["nodeName"].startswith("sim-node-")
    (interface,) = vmi["status"]["interfaces"]
    assert interface["name"] == "default"
    assert ipaddress.ip_address(interface["ipAddress"]) in ipaddress.ip_network("10.244.0.0/16")
    assert interface["ipAddresses"] == [interface["ipAddress"]]
    assert interface["mac"].startswith("02:")

    claim = pvc(api_client, namespace, "web-root")
    assert claim["status"]["phase"] == "Bound"
    # CDI's storage API inflates a Filesystem claim: 10Gi aligned to 1 MiB, times 1.06, rounded up.
    assert claim["status"]["capacity"]["storage"] == CDI_CLAIM_FOR_10GI
    assert claim["spec"]["storageClassName"] == "standard"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["metadata"]["ownerReferences"][0]["kind"] == "DataVolume"
    disk = must_get(api_client, "DataVolume", namespace, "web-root")
    assert (disk["status"]["phase"], disk["status"]["progress"]) == ("Succeeded", "100.0%")


def test_kubevirt_defaults_are_written_once_under_their_own_managers(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    template = web_vm["spec"]["template"]
    firmware = template["spec"]["domain"]["firmware"]
    assert firmware["uuid"] == str(uuid.uuid5(KUBEVIRT_FIRMWARE_NAMESPACE, "web"))
    assert firmware["serial"]
    assert template["spec"]["domain"]["machine"]["type"] == "q35"
    assert template["spec"]["architecture"] == "amd64"
    assert template["metadata"]["annotations"]["kubevirt.io/pci-topology-version"] == "v3"
    assert managers_of(web_vm, "f:uuid") == {"virt-controller"}
    assert managers_of(web_vm, "f:serial") == {"virt-controller"}
    assert managers_of(web_vm, "f:architecture") == {"virt-api"}
    assert "pulumi-kubernetes" in managers_of(web_vm, "f:cores")
    assert "pulumi-kubernetes" not in managers_of(web_vm, "f:uuid")

    apply(
        api_client,
        namespace,
        virtual_machine("web", disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    assert simulator.reconcile(namespace) == 0, (
        "re-applying the same program must not make KubeVirt write again"
    )
    again = must_get(api_client, "VirtualMachine", namespace, "web")
    assert again["spec"]["template"]["spec"]["domain"]["firmware"] == firmware
    assert "RestartRequired" not in conditions(again)


def test_a_settled_cluster_stays_settled(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    assert simulator.reconcile(namespace) == 0
    assert simulator.settle(namespace) == 0


@pytest.mark.parametrize(
    ("source", "phases"),
    [
        pytest.param(None, ["Pending", "ImportScheduled", "ImportInProgress", "Succeeded"], id="http-import"),
        pytest.param({"blank": {}}, ["Pending", "Succeeded"], id="blank"),
        pytest.param(
            {"pvc": {"namespace": "images", "name": "golden"}}, ["Pending", "Succeeded"], id="clone"
        ),
        pytest.param({"upload": {}}, ["Pending", "UploadScheduled", "UploadReady"], id="upload"),
    ],
)
def test_a_data_volume_moves_one_phase_per_pass(
    api_client: client.ApiClient, namespace: str, simulator: Simulator, source: Obj | None, phases: list[str]
) -> None:
    apply(api_client, namespace, data_volume("disk", source))
    apply(api_client, namespace, virtual_machine("vm", disk=data_volume_disk("disk")))
    seen: list[str] = []
    printable: list[str] = []
    for _ in phases:
        simulator.reconcile(namespace)
        seen.append(must_get(api_client, "DataVolume", namespace, "disk")["status"]["phase"])
        printable.append(must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"])
    assert seen == phases
    assert printable[0] == "Provisioning"
    simulator.settle(namespace)
    final = must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"]
    assert final == ("Running" if phases[-1] == "Succeeded" else "Provisioning")


def test_import_progress_goes_from_na_to_one_hundred(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    apply(api_client, namespace, data_volume("disk"))
    progress = []
    for _ in range(4):
        simulator.reconcile(namespace)
        progress.append(must_get(api_client, "DataVolume", namespace, "disk")["status"]["progress"])
    assert progress[0] == "N/A"
    assert progress[-1] == "100.0%"


def test_storage_api_fields_reach_the_claim(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    apply(
        api_client,
        namespace,
        data_volume(
            "shared",
            size="5Gi",
            storageClassName="fixed-size",
            accessModes=["ReadWriteMany"],
            volumeMode="Block",
        ),
    )
    simulator.settle(namespace)
    claim = pvc(api_client, namespace, "shared")
    assert claim["spec"]["storageClassName"] == "fixed-size"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["volumeMode"] == "Block"
    assert claim["status"]["capacity"]["storage"] == "5Gi"


def test_halting_a_vm_removes_its_instance(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    apply(
        api_client,
        namespace,
        virtual_machine(
            "web", run_strategy="Halted", disk=data_volume_disk("web-root"), secret="web-cloudinit"
        ),
    )
    simulator.settle(namespace)
    assert get(api_client, "VirtualMachineInstance", namespace, "web") is None
    vm = must_get(api_client, "VirtualMachine", namespace, "web")
    assert vm["status"]["printableStatus"] == "Stopped"
    assert "ready" not in vm["status"]
    assert vm["status"]["runStrategy"] == "Halted"
    ready = conditions(vm)["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "VMINotExists")


def test_virtctl_stop_and_start_flip_the_run_strategy_under_their_own_manager(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    simulator.stop_vm(namespace, "web")
    simulator.settle(namespace)
    stopped = must_get(api_client, "VirtualMachine", namespace, "web")
    assert stopped["spec"]["runStrategy"] == "Halted"
    assert managers_of(stopped, "f:runStrategy") >= {"virtctl"}
    assert stopped["status"]["printableStatus"] == "Stopped"
    simulator.start_vm(namespace, "web")
    simulator.settle(namespace)
    assert must_get(api_client, "VirtualMachine", namespace, "web")["status"]["printableStatus"] == "Running"


def test_manual_keeps_a_stopped_vm_stopped(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    apply(api_client, namespace, virtual_machine("vm", run_strategy="Manual", disk=container_disk()))
    simulator.settle(namespace)
    assert get(api_client, "VirtualMachineInstance", namespace, "vm") is None
    assert must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"] == "Stopped"


@pytest.mark.parametrize(
    ("strategy", "guest_failed", "comes_back"),
    [
        pytest.param("Always", False, True, id="always-restarts-after-poweroff"),
        pytest.param("RerunOnFailure", True, True, id="rerun-on-failure-restarts-after-crash"),
        pytest.param("RerunOnFailure", False, False, id="rerun-on-failure-stays-off-after-poweroff"),
        pytest.param("Once", False, False, id="once-runs-once"),
    ],
)
def test_run_strategy_decides_what_follows_a_guest_shutdown(
    api_client: client.ApiClient,
    namespace: str,
    simulator: Simulator,
    *,
    strategy: str,
    guest_failed: bool,
    comes_back: bool,
) -> None:
    apply(api_client, namespace, virtual_machine("vm", run_strategy=strategy, disk=container_disk()))
    simulator.settle(namespace)
    first = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    simulator.shutdown(namespace, "vm", failed=guest_failed)
    simulator.settle(namespace)
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    assert (vmi["metadata"]["uid"] != first["metadata"]["uid"]) is comes_back
    assert vm["status"]["printableStatus"] == ("Running" if comes_back else "Stopped")


def test_changing_cores_requires_a_restart_a_revert_or_a_restart_clears_it(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    """syncRestartRequired judges every sync: a reverted change clears the condition as a restart does."""
    apply(
        api_client,
        namespace,
        virtual_machine("web", cores=4, disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "web")
    restart = conditions(vm)["RestartRequired"]
    assert restart["status"] == "True"
    assert restart["message"] == "a non-live-updatable field was changed in the template spec"
    assert vm["status"]["observedGeneration"] < vm["status"]["desiredGeneration"]
    assert (
        must_get(api_client, "VirtualMachineInstance", namespace, "web")["spec"]["domain"]["cpu"]["cores"]
        == 2
    )

    apply(
        api_client,
        namespace,
        virtual_machine("web", cores=2, disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.settle(namespace)
    reverted = must_get(api_client, "VirtualMachine", namespace, "web")
    assert "RestartRequired" not in conditions(reverted)
    assert reverted["status"]["observedGeneration"] == reverted["status"]["desiredGeneration"]

    apply(
        api_client,
        namespace,
        virtual_machine("web", cores=4, disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.restart(namespace, "web")
    simulator.settle(namespace)
    restarted = must_get(api_client, "VirtualMachine", namespace, "web")
    assert "RestartRequired" not in conditions(restarted)
    assert restarted["status"]["observedGeneration"] == restarted["status"]["desiredGeneration"]
    assert (
        must_get(api_client, "VirtualMachineInstance", namespace, "web")["spec"]["domain"]["cpu"]["cores"]
        == 4
    )


def test_template_label_change_sets_no_restart_required_and_misses_the_running_instance(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    """Template metadata is not spec: syncRestartRequired does not compare it, so no RestartRequired (and no
    effect); the VMI no longer matches the whole template, so the VM's observedGeneration stays behind."""
    changed = virtual_machine(
        "web", disk=data_volume_disk("web-root"), secret="web-cloudinit", labels={"app": "web", "tier": "b"}
    )
    apply(api_client, namespace, changed)
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "web")
    assert "RestartRequired" not in conditions(vm)
    assert vm["status"]["observedGeneration"] < vm["status"]["desiredGeneration"]
    assert (
        must_get(api_client, "VirtualMachineInstance", namespace, "web")["metadata"]["labels"]["tier"]
        == "web"
    )


def test_live_update_propagates_a_socket_increase_by_migration(
    api_client: client.ApiClient, namespace: str, simulator: Simulator, rollout: Any
) -> None:
    rollout("LiveUpdate")
    apply(api_client, namespace, virtual_machine("vm", sockets=1, disk=container_disk()))
    simulator.settle(namespace)
    before = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    assert before["spec"]["domain"]["cpu"]["maxSockets"] == 4
    assert before["spec"]["domain"]["memory"]["maxGuest"] == "8Gi"

    apply(api_client, namespace, virtual_machine("vm", sockets=2, disk=container_disk()))
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    assert "RestartRequired" not in conditions(vm)
    assert vmi["metadata"]["uid"] == before["metadata"]["uid"], "a live update keeps the same instance"
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 2
    assert vmi["status"]["currentCPUTopology"]["sockets"] == 2
    assert "HotVCPUChange" not in conditions(vmi), "the migration carried the hot-plug out"
    (migration,) = migrations(api_client, namespace)
    assert migration["metadata"]["name"].startswith("kubevirt-workload-update-")
    assert (migration["spec"]["vmiName"], migration["status"]["phase"]) == ("vm", "Succeeded")
    assert vmi["status"]["migrationState"]["migrationUid"] == migration["metadata"]["uid"]
    assert vmi["status"]["nodeName"] != before["status"]["nodeName"]
    assert vm["status"]["observedGeneration"] < vm["status"]["desiredGeneration"], "the start revision stays"


@pytest.mark.parametrize(
    ("change", "message_part"),
    [
        pytest.param({"cores": 4, "sockets": 1}, "non-live-updatable", id="cores"),
        pytest.param({"cores": 2, "sockets": 5}, "higher than what's available", id="sockets-above-max"),
    ],
)
def test_live_update_still_restarts_what_it_cannot_propagate(
    api_client: client.ApiClient,
    namespace: str,
    simulator: Simulator,
    rollout: Any,
    *,
    change: Obj,
    message_part: str,
) -> None:
    rollout("LiveUpdate")
    apply(api_client, namespace, virtual_machine("vm", sockets=1, disk=container_disk()))
    simulator.settle(namespace)
    apply(api_client, namespace, virtual_machine("vm", disk=container_disk(), **change))
    simulator.settle(namespace)
    restart = conditions(must_get(api_client, "VirtualMachine", namespace, "vm"))["RestartRequired"]
    assert restart["status"] == "True"
    assert message_part in restart["message"]
    assert (
        must_get(api_client, "VirtualMachineInstance", namespace, "vm")["spec"]["domain"]["cpu"]["sockets"]
        == 1
    )


@pytest.mark.parametrize(
    ("methods", "evicted"),
    [
        pytest.param(("LiveMigrate",), False, id="live-migrate-only-waits"),
        pytest.param(("LiveMigrate", "Evict"), True, id="evict-restarts"),
    ],
)
def test_cpu_hotplug_on_a_read_write_once_disk_waits_or_is_evicted_never_restart_required(
    api_client: client.ApiClient,
    namespace: str,
    web_vm: Obj,
    simulator: Simulator,
    rollout: Any,
    *,
    methods: tuple[str, ...],
    evicted: bool,
) -> None:
    """handleCPUChangeRequest does not look at migratability: the VMI spec is patched; the workload updater
    cannot migrate it, so it evicts it when Evict is allowed, and otherwise the hot-plug waits."""
    rollout("LiveUpdate", methods)
    apply(
        api_client,
        namespace,
        virtual_machine("web", disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.restart(namespace, "web")
    simulator.settle(namespace)
    before = must_get(api_client, "VirtualMachineInstance", namespace, "web")
    apply(
        api_client,
        namespace,
        virtual_machine("web", sockets=2, disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "web")
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "web")
    assert "RestartRequired" not in conditions(vm)
    assert (conditions(vm)["LiveMigratable"]["status"], conditions(vm)["LiveMigratable"]["reason"]) == (
        "False",
        "DisksNotLiveMigratable",
    )
    assert migrations(api_client, namespace) == []
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 2
    assert (vmi["metadata"]["uid"] != before["metadata"]["uid"]) is evicted
    assert ("HotVCPUChange" in conditions(vm)) is not evicted
    assert vmi["status"]["currentCPUTopology"]["sockets"] == (2 if evicted else 1)


def test_memory_hotplug_on_a_read_write_once_disk_requires_a_restart(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator, rollout: Any
) -> None:
    rollout("LiveUpdate")
    apply(
        api_client,
        namespace,
        virtual_machine("web", disk=data_volume_disk("web-root"), secret="web-cloudinit"),
    )
    simulator.restart(namespace, "web")
    simulator.settle(namespace)
    changed = virtual_machine("web", disk=data_volume_disk("web-root"), secret="web-cloudinit")
    _with_memory(changed)
    apply(api_client, namespace, changed)
    simulator.settle(namespace)
    restart = conditions(must_get(api_client, "VirtualMachine", namespace, "web"))["RestartRequired"]
    assert restart["message"] == (
        "memory updated in template spec. Memory-hotplug is only available for migratable VMs"
    )


def test_failure_injected_by_annotation_through_the_api(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    manifest = virtual_machine("vm", disk=container_disk())
    manifest["metadata"]["annotations"] = {"simulator.pulumi-kubevirt/failure": "unschedulable"}
    apply(api_client, namespace, manifest)
    simulator.settle(namespace)
    assert (
        must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"]
        == "ErrorUnschedulable"
    )


@pytest.mark.parametrize(
    ("mode", "printable", "vmi_phase"),
    [
        pytest.param(FailureMode.UNSCHEDULABLE, "ErrorUnschedulable", "Scheduling", id="unschedulable"),
        pytest.param(FailureMode.ERR_IMAGE_PULL, "ErrImagePull", "Scheduling", id="err-image-pull"),
        pytest.param(FailureMode.NO_IP, "Running", "Running", id="no-ip"),
        pytest.param(FailureMode.NO_AGENT, "Running", "Running", id="no-agent"),
    ],
)
def test_vm_failure_modes(
    api_client: client.ApiClient,
    namespace: str,
    simulator: Simulator,
    *,
    mode: FailureMode,
    printable: str,
    vmi_phase: str,
) -> None:
    apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
    simulator.fail("VirtualMachine", namespace, "vm", mode)
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    assert vm["status"]["printableStatus"] == printable
    assert vmi["status"]["phase"] == vmi_phase
    interfaces = vmi["status"].get("interfaces", [])
    if mode == FailureMode.NO_IP:
        assert interfaces
        assert all("ipAddress" not in item for item in interfaces)
        assert vm["status"]["ready"] is True
    if mode == FailureMode.NO_AGENT:
        assert "AgentConnected" not in conditions(vm)
        assert interfaces[0]["infoSource"] == "domain"
    if vmi_phase != "Running":
        assert "ready" not in vm["status"]
        assert conditions(vm)["Ready"]["status"] == "False"

    simulator.fail("VirtualMachine", namespace, "vm", None)
    simulator.settle(namespace)
    healed = must_get(api_client, "VirtualMachine", namespace, "vm")
    assert healed["status"]["printableStatus"] == "Running"
    assert "AgentConnected" in conditions(healed)


@pytest.mark.parametrize("target", ["DataVolume", "VirtualMachine"])
def test_import_error_fails_the_data_volume_and_the_vm(
    api_client: client.ApiClient, namespace: str, simulator: Simulator, target: str
) -> None:
    apply(api_client, namespace, data_volume("disk"))
    apply(api_client, namespace, virtual_machine("vm", disk=data_volume_disk("disk")))
    simulator.fail(target, namespace, "disk" if target == "DataVolume" else "vm", "import-error")
    simulator.settle(namespace)
    disk = must_get(api_client, "DataVolume", namespace, "disk")
    assert disk["status"]["phase"] == "Failed"
    running = conditions(disk)["Running"]
    assert (running["status"], running["reason"]) == ("False", "Error")
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    assert vm["status"]["printableStatus"] == "DataVolumeError"
    assert "ready" not in vm["status"]


@pytest.mark.parametrize(
    "volume", [{"persistentVolumeClaim": {"claimName": "nowhere"}}, {"dataVolume": {"name": "nowhere"}}]
)
def test_a_missing_claim_gives_error_pvc_not_found(
    api_client: client.ApiClient, namespace: str, simulator: Simulator, volume: Obj
) -> None:
    apply(api_client, namespace, virtual_machine("vm", disk=volume))
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    assert vm["status"]["printableStatus"] == "ErrorPvcNotFound"
    synchronized = conditions(vm)["Synchronized"]
    assert synchronized["reason"] == "FailedPvcNotFound"
    assert "nowhere" in synchronized["message"]


def test_fail_refuses_unknown_modes_and_kinds(namespace: str, simulator: Simulator) -> None:
    with pytest.raises(SimulatorError, match="Unknown failure mode 'explode'"):
        simulator.fail("VirtualMachine", namespace, "vm", "explode")
    with pytest.raises(SimulatorError, match="only DataVolume, VirtualMachine"):
        simulator.fail("Service", namespace, "vm", "no-ip")


def test_growing_a_claim_on_an_expandable_class_grows_its_capacity(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    patch = {"spec": {"resources": {"requests": {"storage": "20Gi"}}}}
    client.CoreV1Api(api_client).patch_namespaced_persistent_volume_claim(
        "web-root", namespace, patch, field_manager=PULUMI
    )
    simulator.settle(namespace)
    assert pvc(api_client, namespace, "web-root")["status"]["capacity"]["storage"] == "20Gi"


def test_growing_a_claim_on_a_fixed_size_class_is_refused(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    apply(api_client, namespace, data_volume("fixed", size="5Gi", storageClassName="fixed-size"))
    simulator.settle(namespace)
    patch = {"spec": {"resources": {"requests": {"storage": "8Gi"}}}}
    with pytest.raises(ApiException) as refused:
        client.CoreV1Api(api_client).patch_namespaced_persistent_volume_claim(
            "fixed", namespace, patch, field_manager=PULUMI
        )
    assert refused.value.status == 403
    simulator.settle(namespace)
    assert pvc(api_client, namespace, "fixed")["status"]["capacity"]["storage"] == CDI_CLAIM_FOR_5GI


def test_data_volume_templates_are_created_and_owned_by_the_vm(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    manifest = virtual_machine("vm", disk=data_volume_disk("vm-root"))
    manifest["spec"]["dataVolumeTemplates"] = [
        {"metadata": {"name": "vm-root"}, "spec": data_volume("x")["spec"]}
    ]
    apply(api_client, namespace, manifest)
    simulator.reconcile(namespace)
    assert get(api_client, "VirtualMachineInstance", namespace, "vm") is None, (
        "no instance before its disks exist"
    )
    simulator.settle(namespace)
    disk = must_get(api_client, "DataVolume", namespace, "vm-root")
    assert disk["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachine"
    assert must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"] == "Running"


def test_deleting_a_vm_takes_its_instance_with_it(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    _custom(api_client).delete_namespaced_custom_object(
        "kubevirt.io", "v1", namespace, "virtualmachines", "web"
    )
    simulator.settle(namespace)
    assert get(api_client, "VirtualMachineInstance", namespace, "web") is None


def test_restart_recreates_the_same_addresses(
    api_client: client.ApiClient, namespace: str, web_vm: Obj, simulator: Simulator
) -> None:
    before = must_get(api_client, "VirtualMachineInstance", namespace, "web")
    simulator.restart(namespace, "web")
    simulator.settle(namespace)
    after = must_get(api_client, "VirtualMachineInstance", namespace, "web")
    assert after["metadata"]["uid"] != before["metadata"]["uid"]
    assert after["status"]["interfaces"] == before["status"]["interfaces"]


def test_restart_refuses_a_halted_vm(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    apply(api_client, namespace, virtual_machine("vm", run_strategy="Halted", disk=container_disk()))
    simulator.settle(namespace)
    with pytest.raises(SimulatorError, match="not running"):
        simulator.restart(namespace, "vm")


def test_secrets_never_leave_the_secret(api_client: client.ApiClient, namespace: str, web_vm: Obj) -> None:
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "web")
    assert "hunter2" not in str(vmi)
    assert "hunter2" not in str(must_get(api_client, "VirtualMachine", namespace, "web"))


def _with_memory(manifest: Obj) -> None:
    manifest["spec"]["template"]["spec"]["domain"]["memory"]["guest"] = "3Gi"


def _with_node_selector(manifest: Obj) -> None:
    manifest["spec"]["template"]["spec"]["nodeSelector"] = {"disktype": "ssd"}


def _with_hotplug_volume(manifest: Obj) -> None:
    template = manifest["spec"]["template"]["spec"]
    template["domain"]["devices"]["disks"].append({"name": "scratch", "disk": {"bus": "scsi"}})
    template["volumes"].append({"name": "scratch", "dataVolume": {"name": "scratch", "hotpluggable": True}})


@pytest.mark.parametrize(
    ("change", "vmi_path", "expected", "migrates"),
    [
        pytest.param(_with_memory, ("domain", "memory", "guest"), "3Gi", True, id="memory-guest"),
        pytest.param(_with_node_selector, ("nodeSelector",), {"disktype": "ssd"}, False, id="node-selector"),
        pytest.param(_with_hotplug_volume, ("volumes", 1, "name"), "scratch", False, id="hotplug-volume"),
    ],
)
def test_live_update_propagates_what_kubevirt_can_change_live(
    api_client: client.ApiClient,
    namespace: str,
    simulator: Simulator,
    rollout: Any,
    *,
    change: Any,
    vmi_path: tuple[Any, ...],
    expected: Any,
    migrates: bool,
) -> None:
    rollout("LiveUpdate")
    apply(api_client, namespace, data_volume("scratch", {"blank": {}}, accessModes=["ReadWriteMany"]))
    apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
    simulator.settle(namespace)
    manifest = virtual_machine("vm", disk=container_disk())
    change(manifest)
    apply(api_client, namespace, manifest)
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    assert "RestartRequired" not in conditions(vm)
    value: Any = vmi["spec"]
    for part in vmi_path:
        value = value[part]
    assert value == expected
    assert ("migrationState" in vmi["status"]) is migrates
    assert len(migrations(api_client, namespace)) == (1 if migrates else 0)
    assert vm["status"]["observedGeneration"] < vm["status"]["desiredGeneration"], "the start revision stays"


def test_adding_a_hotplug_volume_under_stage_attaches_it_without_a_restart(
    api_client: client.ApiClient, namespace: str, simulator: Simulator, rollout: Any
) -> None:
    """validLiveUpdateVolumes and HandleDeclarativeVolumes do not depend on the rollout strategy."""
    rollout("Stage")
    apply(api_client, namespace, data_volume("scratch", {"blank": {}}, accessModes=["ReadWriteMany"]))
    apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
    simulator.settle(namespace)
    manifest = virtual_machine("vm", disk=container_disk())
    _with_hotplug_volume(manifest)
    apply(api_client, namespace, manifest)
    simulator.settle(namespace)
    assert "RestartRequired" not in conditions(must_get(api_client, "VirtualMachine", namespace, "vm"))
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    assert [volume["name"] for volume in vmi["spec"]["volumes"]] == ["root", "scratch"]


@pytest.mark.parametrize(
    ("strategy", "restart_required"),
    [pytest.param("Stage", True, id="stage"), pytest.param("LiveUpdate", False, id="live-update")],
)
def test_a_node_selector_waits_for_a_restart_under_stage_and_reaches_the_vmi_in_place_under_live_update(
    api_client: client.ApiClient,
    namespace: str,
    simulator: Simulator,
    rollout: Any,
    *,
    strategy: str,
    restart_required: bool,
) -> None:
    rollout(strategy)
    apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
    simulator.settle(namespace)
    before = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    manifest = virtual_machine("vm", disk=container_disk())
    _with_node_selector(manifest)
    apply(api_client, namespace, manifest)
    simulator.settle(namespace)
    vm = must_get(api_client, "VirtualMachine", namespace, "vm")
    vmi = must_get(api_client, "VirtualMachineInstance", namespace, "vm")
    assert ("RestartRequired" in conditions(vm)) is restart_required
    assert ("nodeSelector" in vmi["spec"]) is not restart_required
    assert vmi["status"]["nodeName"] == before["status"]["nodeName"], "no migration either way"
    assert migrations(api_client, namespace) == []


@pytest.fixture
def freezable_class(api_client: client.ApiClient) -> Iterator[str]:
    """An expandable StorageClass of this test's own, which the test may freeze."""
    storage = client.StorageV1Api(api_client)
    name = f"freezable-{uuid.uuid4().hex[:8]}"
    body = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "simulator.pulumi-kubevirt/freezable",
        "allowVolumeExpansion": True,
    }
    storage.create_storage_class(cast(Any, body))
    try:
        yield name
    finally:
        storage.delete_storage_class(name)


def test_a_claim_whose_class_stopped_allowing_expansion_keeps_its_size_and_gets_an_event(
    api_client: client.ApiClient, namespace: str, simulator: Simulator, freezable_class: str
) -> None:
    apply(api_client, namespace, data_volume("disk", size="5Gi", storageClassName=freezable_class))
    simulator.settle(namespace)
    core = client.CoreV1Api(api_client)
    patch = {"spec": {"resources": {"requests": {"storage": "8Gi"}}}}
    core.patch_namespaced_persistent_volume_claim("disk", namespace, patch, field_manager=PULUMI)
    client.StorageV1Api(api_client).patch_storage_class(freezable_class, {"allowVolumeExpansion": False})
    simulator.settle(namespace)
    assert pvc(api_client, namespace, "disk")["status"]["capacity"]["storage"] == CDI_CLAIM_FOR_5GI
    events = core.list_namespaced_event(namespace).items
    reasons = [(event.reason, event.involved_object.name) for event in events]
    assert ("VolumeResizeFailed", "disk") in reasons
    assert simulator.reconcile(namespace) == 0, "the event is recorded once, not once per pass"


def test_the_command_line_entry_point_settles_a_namespace(
    cluster: Any, api_client: client.ApiClient, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pulumi_kubevirt_devcluster.simulator import main

    apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
    assert main(["--kubeconfig", str(cluster.kubeconfig_path), "--namespace", namespace, "--once"]) == 0
    assert "settled after" in capsys.readouterr().out
    assert must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"] == "Running"


def test_a_background_run_loop_brings_a_vm_up_and_stops_on_request(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    import threading

    stop = threading.Event()
    worker = threading.Thread(target=simulator.run, args=(stop, 0.05, namespace))
    worker.start()
    try:
        apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
        for _ in range(100):
            vm = get(api_client, "VirtualMachine", namespace, "vm")
            if vm is not None and vm.get("status", {}).get("printableStatus") == "Running":
                break
            stop.wait(0.05)
    finally:
        simulator.close()
        worker.join(timeout=5)
    assert not worker.is_alive()
    assert must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"] == "Running"


def test_a_cluster_wide_pass_leaves_terminating_namespaces_alone(
    api_client: client.ApiClient, namespace: str, simulator: Simulator
) -> None:
    core = client.CoreV1Api(api_client)
    doomed = f"{namespace[:50]}-doomed"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=doomed)))
    apply(api_client, doomed, virtual_machine("left-behind", disk=container_disk()))
    core.delete_namespace(doomed)
    apply(api_client, namespace, virtual_machine("vm", disk=container_disk()))
    simulator.settle()
    assert must_get(api_client, "VirtualMachine", namespace, "vm")["status"]["printableStatus"] == "Running"
    assert get(api_client, "VirtualMachineInstance", doomed, "left-behind") is None
