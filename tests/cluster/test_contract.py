"""Contract tests: the Kubernetes API behaviours pulumi-kubevirt relies on, pinned against the real server.

If one of these fails after an upgrade (server or ``kubernetes`` client), the assumption it names is wrong
somewhere in the live reader, the plan engine or the components: fix those, not the test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from pulumi_kubevirt.core.labels import stack_labels, stack_selector

KUBEVIRT = ("kubevirt.io", "v1", "virtualmachines")
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"


def vm_manifest(name: str, namespace: str, cores: int = 1, **labels: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": metadata,
        "spec": {
            "runStrategy": "Halted",
            "template": {
                "metadata": {"labels": {"kubevirt.io/vm": name}},
                "spec": {
                    "domain": {
                        "cpu": {"cores": cores},
                        "memory": {"guest": "1Gi"},
                        "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}]},
                    },
                    "volumes": [
                        {"name": "root", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}}
                    ],
                },
            },
        },
    }


def apply_vm(
    api_client: ApiClient, manifest: dict[str, Any], manager: str, force: bool = False
) -> tuple[int, dict[str, Any]]:
    """Server-side apply through ``CustomObjectsApi`` with the documented workaround (raw response)."""
    response = client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
        *KUBEVIRT[:2],
        manifest["metadata"]["namespace"],
        KUBEVIRT[2],
        manifest["metadata"]["name"],
        manifest,
        field_manager=manager,
        force=force or None,
        _content_type=APPLY,
        _preload_content=False,
    )
    return response.status, json.loads(response.data)


def get_vm(api_client: ApiClient, namespace: str, name: str) -> dict[str, Any]:
    vm: dict[str, Any] = client.CustomObjectsApi(api_client).get_namespaced_custom_object(
        *KUBEVIRT[:2], namespace, KUBEVIRT[2], name
    )
    return vm


def api_error(call: Callable[[], object]) -> ApiException:
    with pytest.raises(ApiException) as caught:
        call()
    return caught.value


def cores_of(vm: dict[str, Any]) -> int:
    cores: int = vm["spec"]["template"]["spec"]["domain"]["cpu"]["cores"]
    return cores


def test_server_side_apply_creates_then_updates_a_virtual_machine(
    api_client: ApiClient, namespace: str
) -> None:
    created_status, created = apply_vm(api_client, vm_manifest("web", namespace, cores=1), "pulumi-kubevirt")
    updated_status, updated = apply_vm(api_client, vm_manifest("web", namespace, cores=2), "pulumi-kubevirt")

    assert (created_status, updated_status) == (201, 200)
    assert cores_of(created) == 1
    assert cores_of(get_vm(api_client, namespace, "web")) == 2
    assert updated["metadata"]["generation"] == created["metadata"]["generation"] + 1


def test_apply_of_a_field_another_manager_owns_is_a_409_until_forced(
    api_client: ApiClient, namespace: str
) -> None:
    apply_vm(api_client, vm_manifest("db", namespace, cores=1), "owner")

    conflict = api_error(lambda: apply_vm(api_client, vm_manifest("db", namespace, cores=4), "intruder"))
    forced_status, forced = apply_vm(
        api_client, vm_manifest("db", namespace, cores=4), "intruder", force=True
    )

    assert conflict.status == 409
    assert 'conflict with "owner"' in json.loads(conflict.body)["message"]
    assert ".spec.template.spec.domain.cpu.cores" in json.loads(conflict.body)["message"]
    assert forced_status == 200
    assert cores_of(forced) == 4
    owner_fields = next(e for e in forced["metadata"]["managedFields"] if e["manager"] == "owner")["fieldsV1"]
    assert "f:cores" not in json.dumps(owner_fields), "force moves the field to the forcing manager"


def test_managed_fields_record_manager_operation_and_time_per_manager(
    api_client: ApiClient, namespace: str
) -> None:
    apply_vm(api_client, vm_manifest("app", namespace), "pulumi-kubevirt")
    client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
        *KUBEVIRT[:2],
        namespace,
        KUBEVIRT[2],
        "app",
        {"spec": {"runStrategy": "Always"}},
        field_manager="virtctl",
        _content_type=MERGE,
    )

    entries = {e["manager"]: e for e in get_vm(api_client, namespace, "app")["metadata"]["managedFields"]}

    assert {name: e["operation"] for name, e in entries.items()} == {
        "pulumi-kubevirt": "Apply",
        "virtctl": "Update",
    }
    assert all(e["time"].endswith("Z") for e in entries.values())
    assert "f:runStrategy" in entries["virtctl"]["fieldsV1"]["f:spec"]
    assert "f:runStrategy" not in entries["pulumi-kubevirt"]["fieldsV1"]["f:spec"], (
        "an update takes ownership"
    )


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("create", id="create"),
        pytest.param("apply", id="server-side-apply"),
        pytest.param("get", id="get"),
    ],
)
def test_a_missing_namespace_is_a_404(api_client: ApiClient, operation: str) -> None:
    api = client.CustomObjectsApi(api_client)
    manifest = vm_manifest("ghost", "no-such-namespace")
    calls: dict[str, Callable[[], object]] = {
        "create": lambda: api.create_namespaced_custom_object(
            *KUBEVIRT[:2], "no-such-namespace", KUBEVIRT[2], manifest
        ),
        "apply": lambda: apply_vm(api_client, manifest, "pulumi-kubevirt"),
        "get": lambda: api.get_namespaced_custom_object(
            *KUBEVIRT[:2], "no-such-namespace", KUBEVIRT[2], "ghost"
        ),
    }

    error = api_error(calls[operation])

    assert error.status == 404


def _with(path: list[str], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(manifest: dict[str, Any]) -> None:
        node = manifest
        for key in path[:-1]:
            node = node[key]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return edit


_DELETE = object()
_DOMAIN = ["spec", "template", "spec", "domain"]


@pytest.mark.parametrize(
    ("edit", "field_in_message"),
    [
        pytest.param(
            _with([*_DOMAIN, "cpu", "cores"], "two"), "spec.template.spec.domain.cpu.cores", id="cores-string"
        ),
        pytest.param(_with(["spec", "template"], _DELETE), "spec.template", id="template-missing"),
        pytest.param(
            _with([*_DOMAIN, "devices"], _DELETE), "spec.template.spec.domain.devices", id="devices-missing"
        ),
    ],
)
def test_an_object_violating_the_kubevirt_crd_schema_is_a_422(
    api_client: ApiClient, namespace: str, edit: Callable[[dict[str, Any]], None], field_in_message: str
) -> None:
    manifest = vm_manifest("bad", namespace)
    edit(manifest)

    error = api_error(lambda: apply_vm(api_client, manifest, "pulumi-kubevirt"))

    assert error.status == 422
    body = json.loads(error.body)
    assert body["reason"] == "Invalid"
    assert field_in_message in body["message"]


def test_an_update_with_a_stale_resource_version_is_a_409(api_client: ApiClient, namespace: str) -> None:
    api = client.CustomObjectsApi(api_client)
    apply_vm(api_client, vm_manifest("old", namespace), "pulumi-kubevirt")
    stale = get_vm(api_client, namespace, "old")
    fresh = copy.deepcopy(stale)
    fresh["spec"]["runStrategy"] = "Always"
    api.replace_namespaced_custom_object(*KUBEVIRT[:2], namespace, KUBEVIRT[2], "old", fresh)
    stale["spec"]["runStrategy"] = "Manual"

    error = api_error(
        lambda: api.replace_namespaced_custom_object(*KUBEVIRT[:2], namespace, KUBEVIRT[2], "old", stale)
    )

    assert error.status == 409
    assert json.loads(error.body)["reason"] == "Conflict"
    assert get_vm(api_client, namespace, "old")["spec"]["runStrategy"] == "Always"


def _other_kinds(name: str, namespace: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    metadata = {"name": name, "namespace": namespace, "labels": labels}
    return [
        {
            "apiVersion": "cdi.kubevirt.io/v1beta1",
            "kind": "DataVolume",
            "metadata": metadata,
            "spec": {"source": {"blank": {}}, "storage": {"resources": {"requests": {"storage": "1Gi"}}}},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "stringData": {"userdata": "#cloud-config\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata,
            "spec": {"selector": {"kubevirt.io/vm": name}, "ports": [{"port": 22, "targetPort": 22}]},
        },
        {
            "apiVersion": "k8s.cni.cncf.io/v1",
            "kind": "NetworkAttachmentDefinition",
            "metadata": metadata,
            "spec": {"config": json.dumps({"cniVersion": "0.3.1", "type": "bridge", "bridge": "br0"})},
        },
    ]


def test_a_label_selected_list_returns_exactly_the_labelled_objects_of_every_kind(
    api_client: ApiClient, namespace: str
) -> None:
    dynamic = DynamicClient(api_client)
    ours = stack_labels("shop", "prod")
    other_stack = stack_labels("shop", "staging")
    for name, labels in (("ours", ours), ("theirs", other_stack), ("unlabelled", {})):
        for manifest in [vm_manifest(name, namespace, **labels), *_other_kinds(name, namespace, labels)]:
            resource = dynamic.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
            dynamic.create(resource, body=manifest, namespace=namespace)

    found = {}
    for kind, api_version in (
        ("VirtualMachine", "kubevirt.io/v1"),
        ("DataVolume", "cdi.kubevirt.io/v1beta1"),
        ("Secret", "v1"),
        ("Service", "v1"),
        ("NetworkAttachmentDefinition", "k8s.cni.cncf.io/v1"),
    ):
        resource = dynamic.resources.get(api_version=api_version, kind=kind)
        listing = dynamic.get(resource, namespace=namespace, label_selector=stack_selector("shop", "prod"))
        found[kind] = sorted(item.metadata.name for item in listing.items)

    assert found == {
        "VirtualMachine": ["ours"],
        "DataVolume": ["ours"],
        "Secret": ["ours"],
        "Service": ["ours"],
        "NetworkAttachmentDefinition": ["ours"],
    }


def test_customobjects_server_side_apply_create_returns_none_and_the_workarounds_work(
    api_client: ApiClient, namespace: str
) -> None:
    """``kubernetes`` 37.0.2 maps only 200 for this call: a 201 (create) comes back as None. When this test
    fails because the client returns the object, the workaround can go."""
    api = client.CustomObjectsApi(api_client)

    returned = api.patch_namespaced_custom_object(
        *KUBEVIRT[:2], namespace, KUBEVIRT[2], "pitfall", vm_manifest("pitfall", namespace),
        field_manager="pulumi-kubevirt", _content_type=APPLY,
    )  # fmt: skip
    raw_status, raw_body = apply_vm(api_client, vm_manifest("raw", namespace), "pulumi-kubevirt")
    dynamic = DynamicClient(api_client)
    applied = dynamic.server_side_apply(
        dynamic.resources.get(api_version="kubevirt.io/v1", kind="VirtualMachine"),
        body=vm_manifest("dynamic", namespace),
        namespace=namespace,
        field_manager="pulumi-kubevirt",
    )

    assert returned is None
    assert get_vm(api_client, namespace, "pitfall")["metadata"]["name"] == "pitfall", "created all the same"
    assert (raw_status, raw_body["metadata"]["name"]) == (201, "raw")
    assert applied.metadata.name == "dynamic"
    assert applied.metadata.uid == get_vm(api_client, namespace, "dynamic")["metadata"]["uid"]


def test_a_field_the_applying_manager_stops_sending_is_removed_unless_another_manager_owns_it(
    api_client: ApiClient, namespace: str
) -> None:
    apply_vm(api_client, vm_manifest("trim", namespace, tier="web", team="a", shared="x"), "pulumi-kubevirt")
    apply_vm(
        api_client,
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {
            "name": "trim", "namespace": namespace, "labels": {"shared": "x"}}},
        "other-tool",
    )  # fmt: skip

    apply_vm(api_client, vm_manifest("trim", namespace, tier="web"), "pulumi-kubevirt")

    assert get_vm(api_client, namespace, "trim")["metadata"]["labels"] == {"tier": "web", "shared": "x"}


def test_the_status_subresource_is_separate_from_spec(api_client: ApiClient, namespace: str) -> None:
    api = client.CustomObjectsApi(api_client)
    with_status = vm_manifest("split", namespace)
    with_status["status"] = {"printableStatus": "Running"}
    _, created = apply_vm(api_client, with_status, "pulumi-kubevirt")

    api.patch_namespaced_custom_object_status(
        *KUBEVIRT[:2], namespace, KUBEVIRT[2], "split",
        {"status": {"printableStatus": "Stopped"}, "spec": {"runStrategy": "Always"}},
        field_manager="virt-controller", _content_type=MERGE,
    )  # fmt: skip
    after = get_vm(api_client, namespace, "split")

    assert "status" not in created, "the main resource ignores status"
    assert after["status"] == {"printableStatus": "Stopped"}
    assert after["spec"]["runStrategy"] == "Halted", "the status subresource ignores spec"
    assert after["metadata"]["generation"] == created["metadata"]["generation"], (
        "status does not bump generation"
    )
