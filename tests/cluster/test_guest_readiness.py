"""The GuestReadiness dynamic provider, driven through the real ``python -m pulumi.dynamic`` host over gRPC
the way the Pulumi engine drives it, against the real API server and the simulator running in the background.

Stories: wait for an IP (succeeds; times out with a clear message; fails at once on ErrImagePull); a cores
change under each restart policy (defer leaves pending_restart, restart recreates the VMI exactly once and
waits for Ready, fail makes Check refuse naming the field); 20 VMs waited for in one operation.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from tests.cluster.story_kit import object_path, request, server_side_apply

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.components.guest_readiness import GuestReadinessProvider, vm_entry
from pulumi_kubevirt.live.guests import GuestDoor, wait_for_guests
from pulumi_kubevirt.plan.readiness import WaitTarget
from pulumi_kubevirt.spec import Cpu, Memory, RestartPolicy, StackContext, VirtualMachineArgs, WaitFor

CTX = StackContext(project="guests", stack="test")


class FastProvider(GuestReadinessProvider):
    """The provider with a short poll interval (a class attribute: the host unpickles this class)."""

    poll_seconds = 0.2


class Host:
    """One ``python -m pulumi.dynamic`` process and a gRPC stub to it."""

    def __init__(self, kubeconfig: str) -> None:
        # read and delete get the outputs only (no credentials in them): the host's environment names the
        # cluster, as KUBECONFIG does for the Pulumi CLI.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "KUBECONFIG": kubeconfig}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.provider = serialize_provider(FastProvider())

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)

    def _struct(self, props: Mapping[str, Any]) -> Any:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(
                rpc.serialize_properties({**props, PROVIDER_KEY: self.provider}, {})
            )
        finally:
            loop.close()

    @staticmethod
    def _plain(struct: Any) -> dict[str, Any]:
        return dict(rpc.deserialize_properties(struct))

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        return self.stub.Check(
            provider_pb2.CheckRequest(urn=URN, olds=self._struct(olds), news=self._struct(news))
        )

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        return self.stub.Diff(
            provider_pb2.DiffRequest(id="x", urn=URN, olds=self._struct(olds), news=self._struct(news))
        )

    def create(self, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        answer = self.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=self._struct(props)))
        return answer.id, self._plain(answer.properties)

    def update(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.stub.Update(
            provider_pb2.UpdateRequest(id="x", urn=URN, olds=self._struct(olds), news=self._struct(news))
        )
        return self._plain(answer.properties)

    def read(self, props: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.stub.Read(provider_pb2.ReadRequest(id="x", urn=URN, properties=self._struct(props)))
        return self._plain(answer.properties)

    def delete(self, props: Mapping[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id="x", urn=URN, properties=self._struct(props)))


URN = "urn:pulumi:test::guests::kubevirt:index:Fleet$pulumi-python:dynamic:Resource::fleet/guest-readiness"


@pytest.fixture(scope="module")
def host(cluster: Any) -> Iterator[Host]:
    running = Host(str(cluster.kubeconfig_path))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def background(simulator: Any, namespace: str) -> Iterator[Any]:
    """The simulator reconciling this namespace every 50 ms while the provider waits."""
    stop = threading.Event()
    thread = threading.Thread(target=simulator.run, args=(stop, 0.05, namespace), daemon=True)
    thread.start()
    try:
        yield simulator
    finally:
        stop.set()
        thread.join(timeout=10)


def vm_args(namespace: str, name: str, **changes: Any) -> VirtualMachineArgs:
    base: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "cpu": Cpu(sockets=1, cores=1),
        "memory": Memory(guest="1Gi"),
        "wait_for": WaitFor.IP,
        "wait_timeout_seconds": 20,
    }
    return VirtualMachineArgs(**{**base, **changes})


def applied(api_client: Any, args: VirtualMachineArgs) -> dict[str, Any]:
    """``pulumi up``'s pulumi-kubernetes part: the compiled VM applied; returns its manifest."""
    (vm,) = [m for m in compile_vm(args, CTX) if m["kind"] == "VirtualMachine"]
    server_side_apply(api_client, [vm])
    return vm


def props(cluster: Any, *vms: tuple[VirtualMachineArgs, dict[str, Any]]) -> dict[str, Any]:
    return {
        "vms": [vm_entry(args, manifest) for args, manifest in vms],
        "kubeconfig": str(cluster.kubeconfig_path),
        "context": None,
        "guests": None,
    }


def vmi_uid(api_client: Any, namespace: str, name: str) -> str | None:
    path = f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}"
    status, body = request(api_client, "GET", path)
    return body["metadata"]["uid"] if status == 200 else None


def test_ip_wait_returns_the_guest(
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any
) -> None:
    args = vm_args(namespace, "web")
    resource_id, outs = host.create(props(cluster, (args, applied(api_client, args))))
    guest = outs["guests"][f"{namespace}/web"]
    assert resource_id.startswith("guests-"), outs
    assert guest["printable_status"] == "Running", guest
    assert guest["ip_addresses"]["default"][0].startswith("10.244.")
    assert guest["node"].startswith("sim-node-")
    assert guest["guest_os"] == {"name": "Fedora Linux", "version": "40 (Cloud Edition)"}
    assert guest.get("pending_restart") is None, "Pulumi drops null outputs"
    assert "kubeconfig" not in outs, "credentials never reach the outputs"


def test_ip_wait_times_out_with_what_it_waited_for(
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any
) -> None:
    args = vm_args(namespace, "quiet", wait_timeout_seconds=2)
    manifest = applied(api_client, args)
    background.fail("VirtualMachine", namespace, "quiet", "no-ip")
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        host.create(props(cluster, (args, manifest)))
    message = caught.value.details()
    assert time.monotonic() - started < 15
    assert "were not ready after" in message
    assert f"{namespace}/quiet" in message
    assert "an IP address on interface 'default'" in message


def test_err_image_pull_fails_fast_with_kubevirts_reason(
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any
) -> None:
    args = vm_args(namespace, "broken", wait_timeout_seconds=300)
    manifest = {**applied(api_client, args)}
    background.fail("VirtualMachine", namespace, "broken", "err-image-pull")
    request(  # a fresh start, so the pull fault applies (a running VMI keeps running)
        api_client, "DELETE", f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/broken"
    )
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        host.create(props(cluster, (args, manifest)))
    assert time.monotonic() - started < 30, "a terminal state fails at once, not after the 300 s timeout"
    message = caught.value.details()
    assert "ErrImagePull" in message
    assert "failed to pull and unpack image" in message


@pytest.mark.parametrize("policy", [RestartPolicy.DEFER, RestartPolicy.RESTART], ids=["defer", "restart"])
def test_cores_change_under_each_policy(  # noqa: PLR0917 (pytest fixtures)
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any, policy: RestartPolicy
) -> None:
    before = vm_args(namespace, "db", restart_policy=policy, wait_for=WaitFor.RUNNING)
    old = props(cluster, (before, applied(api_client, before)))
    _, old_outs = host.create(old)
    first_vmi = vmi_uid(api_client, namespace, "db")
    after = vm_args(
        namespace, "db", restart_policy=policy, wait_for=WaitFor.RUNNING, cpu=Cpu(sockets=1, cores=2)
    )
    new = props(cluster, (after, applied(api_client, after)))
    assert host.diff(old_outs, new).changes == provider_pb2.DiffResponse.DIFF_SOME
    outs = host.update(old_outs, new)
    guest = outs["guests"][f"{namespace}/db"]
    spec_cores = "spec.template.spec.domain.cpu.cores"
    if policy is RestartPolicy.DEFER:
        assert guest["restarted"] is False
        assert vmi_uid(api_client, namespace, "db") == first_vmi
        assert guest["pending_restart"]["fields"] == [spec_cores]
        assert guest["pending_restart"]["message"], "KubeVirt's RestartRequired message is carried"
    else:
        assert guest["restarted"] is True
        # No virt-api here: the restart subresource answers 404 and the fallback says what it did.
        assert guest["restart_method"].startswith("deleted the VMI")
        assert guest.get("pending_restart") is None, "Pulumi drops null outputs"
        assert guest["ready"] is True
        new_vmi = vmi_uid(api_client, namespace, "db")
        assert new_vmi not in (None, first_vmi)
        time.sleep(0.5)
        assert vmi_uid(api_client, namespace, "db") == new_vmi, "the VMI was recreated exactly once"


def test_fail_policy_refuses_at_check_naming_the_field(
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any
) -> None:
    before = vm_args(namespace, "pg", restart_policy=RestartPolicy.FAIL, wait_for=WaitFor.RUNNING)
    old = props(cluster, (before, applied(api_client, before)))
    _, _ = host.create(old)
    after = vm_args(
        namespace,
        "pg",
        restart_policy=RestartPolicy.FAIL,
        wait_for=WaitFor.RUNNING,
        cpu=Cpu(sockets=1, cores=4),
    )
    (manifest,) = [m for m in compile_vm(after, CTX) if m["kind"] == "VirtualMachine"]
    answer = host.check(old, props(cluster, (after, manifest)))
    reasons = [failure.reason for failure in answer.failures]
    assert len(reasons) == 1
    assert "restart_policy is fail" in reasons[0]
    assert "spec.template.spec.domain.cpu.cores" in reasons[0]
    label_only = vm_args(
        namespace, "pg", restart_policy=RestartPolicy.FAIL, wait_for=WaitFor.RUNNING, labels={"team": "db"}
    )
    (relabelled,) = [m for m in compile_vm(label_only, CTX) if m["kind"] == "VirtualMachine"]
    assert list(host.check(old, props(cluster, (label_only, relabelled))).failures) == []


def test_twenty_vms_are_waited_for_in_one_operation_at_a_constant_request_cost(
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any
) -> None:
    """One operation waits for all 20 (the host would run a resource per VM 4 at a time); each look at the
    cluster costs two LISTs whatever the number of VMs. The time it saves is measured by
    bench/readiness_concurrency.py, not here."""
    vms = [vm_args(namespace, f"vm-{index:02d}") for index in range(20)]
    applied_vms = [(args, applied(api_client, args)) for args in vms]
    for args in vms:
        background.fail("VirtualMachine", namespace, args.name, "no-ip")

    def release() -> None:
        time.sleep(1.0)
        for args in vms:
            background.fail("VirtualMachine", namespace, args.name, None)

    releaser = threading.Thread(target=release)
    releaser.start()
    _, outs = host.create(props(cluster, *applied_vms))
    releaser.join()
    assert len(outs["guests"]) == 20
    assert all(guest["ip_addresses"]["default"] for guest in outs["guests"].values())
    door = GuestDoor(api_client)
    targets = [WaitTarget(namespace, args.name, WaitFor.IP) for args in vms]
    outcome = wait_for_guests(door, targets, timeout_s=30, poll_s=0.2)
    assert door.requests == 2 * outcome.looks, "one LIST of VMs and one of VMIs per look, not one GET per VM"


def test_read_reports_the_guests_and_delete_touches_nothing(
    host: Host, cluster: Any, api_client: Any, namespace: str, background: Any
) -> None:
    args = vm_args(namespace, "app")
    state = props(cluster, (args, applied(api_client, args)))
    _, outs = host.create(state)
    read = host.read(outs)
    assert (
        read["guests"][f"{namespace}/app"]["ip_addresses"]
        == outs["guests"][f"{namespace}/app"]["ip_addresses"]
    )
    host.delete(outs)
    status, _ = request(api_client, "GET", object_path(applied(api_client, args)))
    assert status == 200
