"""The component package through the real provider host, over gRPC.

The host is started as Pulumi starts a plugin (``python -m pulumi_kubevirt.package <engine>``, which prints
its port). GetSchema is compared with the checked-in schema; Construct runs against Pulumi's own mock monitor
(``pulumi.runtime.mocks.MockMonitor``) served over gRPC in this process, and records what the host registers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.spec import CloudInit, Memory, Nic, RegistrySource, RootDisk, SshKeys, StackContext
from pulumi_kubevirt.spec import VirtualMachineArgs as SpecVirtualMachineArgs

SCHEMA = Path(__file__).resolve().parents[2] / "package" / "schema.json"
PROJECT, STACK = "shop", "test"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8r0CkVdXZ0n1q6Y4kq6v1o1b1x3rT0e1J6M2b1Zq9X ops@shop"
IMAGE = "docker://quay.io/containerdisks/fedora:40"


class _Recording(mocks.Mocks):  # type: ignore[misc]
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, dict[str, Any]]] = []
        self.servicer: Any = None

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        self.registered.append((args.typ, args.name, dict(args.inputs)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        return {}, None


class _MonitorServicer(resource_pb2_grpc.ResourceMonitorServicer):  # type: ignore[misc]
    """Pulumi's MockMonitor behind the ResourceMonitor gRPC service."""

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor
        self.dependencies: dict[str, list[str]] = {}

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        answer = self.monitor.SupportsFeature(request)
        return resource_pb2.SupportsFeatureResponse(hasSupport=answer.hasSupport)

    def RegisterResource(self, request: Any, context: Any) -> Any:
        self.dependencies[f"{request.type}::{request.name}"] = list(request.dependencies)
        return self.monitor.RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return self.monitor.RegisterResourceOutputs(request)

    def RegisterPackage(self, request: Any, context: Any) -> Any:
        return self.monitor.RegisterPackage(request)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        return self.monitor.GetDeploymentInfo(request)

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        return self.monitor.SignalAndWaitForShutdown(request)


class _EngineServicer(engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
    """Pulumi's MockEngine (it logs) behind the Engine gRPC service the host logs to."""

    def __init__(self) -> None:
        self.engine = mocks.MockEngine(None)  # type: ignore[no-untyped-call]
        self.root = ""

    def Log(self, request: Any, context: Any) -> Any:
        self.engine.Log(request)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


@pytest.fixture
def host(monitor: tuple[str, Any]) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """The real component provider host, as Pulumi starts a plugin; stopped by its pid."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_kubevirt.package", monitor[0]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def monitor() -> Iterator[tuple[str, _Recording]]:
    """Pulumi's mock monitor and engine served over gRPC; URNs are made for the test project and stack."""
    settings.reset_options(project=PROJECT, stack=STACK)
    recording = _Recording()
    servicer = _MonitorServicer(mocks.MockMonitor(recording))  # type: ignore[no-untyped-call]
    recording.servicer = servicer
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(servicer, server)
    engine_pb2_grpc.add_EngineServicer_to_server(_EngineServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", recording
    finally:
        server.stop(grace=None)
        settings.reset_options()


def test_get_schema_is_the_checked_in_schema(
    host: provider_pb2_grpc.ResourceProviderStub, update_golden: bool
) -> None:
    response = host.GetSchema(provider_pb2.GetSchemaRequest(version=0))
    schema = json.dumps(json.loads(response.schema), indent=2, sort_keys=True) + "\n"
    if update_golden:
        SCHEMA.write_text(schema)
    assert schema == SCHEMA.read_text()
    parsed = json.loads(schema)
    assert sorted(parsed["resources"]) == [
        "kubevirt:index:Disk",
        "kubevirt:index:Fleet",
        "kubevirt:index:Network",
        "kubevirt:index:VirtualMachine",
    ]
    vm_inputs = parsed["resources"]["kubevirt:index:VirtualMachine"]["inputProperties"]
    # Values a program takes from other resources are Inputs; names decide URNs and stay plain.
    assert "plain" not in vm_inputs["namespace"]
    assert vm_inputs["name"]["plain"] is True


def construct(
    host: provider_pb2_grpc.ResourceProviderStub,
    monitor_address: str,
    inputs: dict[str, Any],
    dependencies: dict[str, list[str]] | None = None,
    type_token: str = "kubevirt:index:VirtualMachine",
) -> Any:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    input_dependencies = {
        key: provider_pb2.ConstructRequest.PropertyDependencies(urns=urns)
        for key, urns in (dependencies or {}).items()
    }
    return host.Construct(
        provider_pb2.ConstructRequest(
            project=PROJECT,
            stack=STACK,
            dryRun=False,
            monitorEndpoint=monitor_address,
            type=type_token,
            name="web",
            inputs=struct,
            inputDependencies=input_dependencies,
            organization="organization",
        )
    )


VM_INPUTS: dict[str, Any] = {
    "namespace": "dev",
    "name": "web",
    "memory": {"guest": "2Gi"},
    "rootDisk": {"image": {"registry": {"url": IMAGE}}, "size": "12Gi"},
    "cloudInit": {"userData": "#cloud-config\n"},
    "sshKeys": {"keys": [SSH_KEY]},
    "nics": [{"name": "default", "macAddress": "02:00:00:00:00:01"}],
}


def test_construct_registers_the_compiled_objects_under_the_hosted_component(
    host: provider_pb2_grpc.ResourceProviderStub, monitor: tuple[str, _Recording]
) -> None:
    address, recording = monitor
    response = construct(host, address, VM_INPUTS)
    assert response.urn.endswith("::web")
    outputs = rpc.deserialize_properties(response.state)
    assert outputs["vmName"] == "web"
    assert outputs["namespace"] == "dev"
    expected = compile_vm(
        SpecVirtualMachineArgs(
            namespace="dev",
            name="web",
            memory=Memory("2Gi"),
            root_disk=RootDisk(image=RegistrySource(IMAGE), size="12Gi"),
            cloud_init=CloudInit(user_data="#cloud-config\n"),
            ssh_keys=SshKeys(keys=(SSH_KEY,)),
            nics=(Nic("default", mac_address="02:00:00:00:00:01"),),
        ),
        StackContext(PROJECT, STACK),
    )
    registered_vm = next(
        inputs for typ, _, inputs in recording.registered if typ == "kubernetes:kubevirt.io/v1:VirtualMachine"
    )
    vm_manifest = next(m for m in expected if m["kind"] == "VirtualMachine")
    assert registered_vm["spec"] == vm_manifest["spec"]
    # The hosted component, and the Python component it builds as its one child (same type token).
    assert [name for typ, name, _ in recording.registered if typ == "kubevirt:index:VirtualMachine"] == [
        "web",
        "web",
    ]
    assert sorted(name for typ, name, _ in recording.registered if typ.startswith("kubernetes:")) == [
        "dev/web",
        "dev/web-cloudinit",
        "dev/web-root",  # the DataVolume
        "dev/web-root",  # the claim patch that grows it in place
        "dev/web-ssh-keys",
    ]


def test_construct_with_invalid_inputs_fails_with_the_python_message(
    host: provider_pb2_grpc.ResourceProviderStub, monitor: tuple[str, _Recording]
) -> None:
    address, recording = monitor
    with pytest.raises(grpc.RpcError) as caught:
        construct(host, address, {**VM_INPUTS, "nics": [{"name": "default", "macAddress": "nope"}]})
    details = str(caught.value.details())
    # The path as the program wrote it (schema names), the Python message, and no traceback.
    assert "nics[0].macAddress: " in details
    assert "is not a MAC address" in details
    assert "Traceback" not in details
    assert 'File "' not in details
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert not [name for typ, name, _ in recording.registered if typ.startswith("kubernetes:")]


def test_a_namespace_from_another_resource_reaches_every_child_as_a_dependency(
    host: provider_pb2_grpc.ResourceProviderStub, monitor: tuple[str, _Recording]
) -> None:
    address, recording = monitor
    namespace_urn = f"urn:pulumi:{STACK}::{PROJECT}::kubernetes:core/v1:Namespace::shop"
    construct(host, address, VM_INPUTS, {"namespace": [namespace_urn]})
    children = {
        key: urns for key, urns in recording.servicer.dependencies.items() if key.startswith("kubernetes:")
    }
    # The namespace is an Input: the children are named after the component (see docs/inputs.md).
    assert sorted(key.rpartition("::")[2] for key in children) == [
        "web/web",
        "web/web-cloudinit",
        "web/web-root",  # the DataVolume
        "web/web-root",  # the claim patch that grows it in place
        "web/web-ssh-keys",
    ]
    assert all(namespace_urn in urns for urns in children.values()), children


FLEET_INPUTS: dict[str, Any] = {
    "namespaces": ["dev"],
    "networks": [{"namespace": "dev", "name": "vlan120", "bridge": "br1", "vlan": 120}],
    "disks": [{"namespace": "dev", "name": "data", "size": "10Gi", "source": {"blank": True}}],
    "vms": [{**VM_INPUTS, "disks": [{"disk": "data"}]}],
}


def test_a_fleet_from_another_language_registers_namespaces_then_its_members(
    host: provider_pb2_grpc.ResourceProviderStub, monitor: tuple[str, _Recording]
) -> None:
    address, recording = monitor
    response = construct(host, address, FLEET_INPUTS, type_token="kubevirt:index:Fleet")
    assert rpc.deserialize_properties(response.state)["vmNames"] == ["dev/web"]
    kubernetes = [
        (typ.rpartition(":")[2], name) for typ, name, _ in recording.registered if "kubernetes:" in typ
    ]
    assert kubernetes[0] == ("Namespace", "dev")
    assert sorted(kubernetes[1:]) == [
        ("DataVolume", "dev/data"),
        ("DataVolume", "dev/web-root"),
        ("NetworkAttachmentDefinition", "dev/vlan120"),
        ("PersistentVolumeClaimPatch", "dev/data"),
        ("PersistentVolumeClaimPatch", "dev/web-root"),
        ("Secret", "dev/web-cloudinit"),
        ("Secret", "dev/web-ssh-keys"),
        ("VirtualMachine", "dev/web"),
    ]


def test_a_fleet_value_from_another_resource_is_refused_with_the_fleet_fix(
    host: provider_pb2_grpc.ResourceProviderStub, monitor: tuple[str, _Recording]
) -> None:
    address, recording = monitor
    namespace_urn = f"urn:pulumi:{STACK}::{PROJECT}::kubernetes:core/v1:Namespace::shop"
    with pytest.raises(grpc.RpcError) as caught:
        construct(host, address, FLEET_INPUTS, {"vms": [namespace_urn]}, type_token="kubevirt:index:Fleet")
    details = str(caught.value.details())
    assert "vms: this field takes a plain value, not a Pulumi Output" in details
    assert "build the VirtualMachine, Disk and Network components themselves" in details
    assert not [name for typ, name, _ in recording.registered if typ.startswith("kubernetes:")]


YAML_EXAMPLE = SCHEMA.parents[1] / "examples" / "yaml-package" / "Pulumi.yaml"


def test_the_yaml_examples_fleet_constructs_through_the_host(
    host: provider_pb2_grpc.ResourceProviderStub, monitor: tuple[str, _Recording]
) -> None:
    """examples/yaml-package's properties, as Pulumi YAML sends them, build the fleet its README shows."""
    program = yaml.safe_load(YAML_EXAMPLE.read_text())
    fleet = program["resources"]["fleet"]
    assert fleet["type"] == "kubevirt:index:Fleet"
    address, recording = monitor
    response = construct(host, address, fleet["properties"], type_token=fleet["type"])
    assert rpc.deserialize_properties(response.state)["vmNames"] == ["shop/web-1", "shop/db"]
    kubernetes = [
        (typ.rpartition(":")[2], name) for typ, name, _ in recording.registered if "kubernetes:" in typ
    ]
    assert kubernetes[0] == ("Namespace", "shop")
    assert sorted(kubernetes[1:]) == [
        ("DataVolume", "shop/db-data"),
        ("DataVolume", "shop/db-root"),
        ("DataVolume", "shop/web-1-root"),
        ("NetworkAttachmentDefinition", "shop/vlan120"),
        ("PersistentVolumeClaimPatch", "shop/db-data"),
        ("PersistentVolumeClaimPatch", "shop/db-root"),
        ("PersistentVolumeClaimPatch", "shop/web-1-root"),
        ("VirtualMachine", "shop/db"),
        ("VirtualMachine", "shop/web-1"),
    ]
