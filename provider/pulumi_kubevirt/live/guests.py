"""Waiting for many VMs at once, and restarting them: the Kubernetes I/O behind ``wait_for`` and
``restart_policy``.

Why one loop for all: the Python dynamic-provider host runs at most four operations at once for a whole
deployment, so a wait per VM would serialise 100 VMs into 25 rounds. Here every look at the cluster is one
LIST of VirtualMachines and one of VirtualMachineInstances per namespace, whatever the number of VMs, and
every VM is judged (``plan.readiness.judge``) on each look; a VM in a terminal state stops the wait at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import urllib3

from pulumi_kubevirt.core.errors import Problem, UserError
from pulumi_kubevirt.facts.vm_status import (
    GUEST_AGENT_INFO,
    RECREATED_WHEN_DELETED,
    RESTART_SUBRESOURCE,
    RESTARTABLE_RUN_STRATEGIES,
)
from pulumi_kubevirt.live.transport import ApiReader
from pulumi_kubevirt.plan.readiness import (
    GuestInfo,
    Verdict,
    WaitState,
    WaitTarget,
    guest_info,
    judge,
    run_strategy,
)

Manifest = Mapping[str, Any]
_KUBEVIRT = "/apis/kubevirt.io/v1"
_REQUEST_TIMEOUT_S = 30.0


class GuestWaitError(UserError):
    """VMs that failed (terminal state), timed out, or could not be restarted; each with what it was doing."""


class RestartMethod:
    SUBRESOURCE = "restart subresource"
    DELETED_VMI = "deleted the VMI (no restart subresource on this API server; run strategy Always)"


@dataclass(slots=True)
class ClusterView:
    """One look at the cluster: VMs and VMIs of the namespaces asked for, by ``namespace/name``."""

    vms: dict[str, Manifest] = field(default_factory=dict)
    vmis: dict[str, Manifest] = field(default_factory=dict)


class GuestDoor:
    """The waiter's and restarter's requests; one instance per operation, never kept on a provider."""

    def __init__(self, api_client: Any) -> None:
        self._api = api_client
        self.requests = 0

    def _get(self, path: str) -> tuple[int, Mapping[str, Any] | None, str]:
        self.requests += 1
        reader = ApiReader(self._api, deadline=time.monotonic() + _REQUEST_TIMEOUT_S)
        answer = reader.get(path)
        return answer.status, answer.body, answer.message

    def _send(self, method: str, path: str, body: Any = None) -> tuple[int, str]:
        self.requests += 1
        method, url, headers, payload, _ = self._api.param_serialize(
            method=method,
            resource_path=path,
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self._api.rest_client.pool_manager.request(
            method,
            url,
            headers=headers,
            body=None if payload is None else json.dumps(payload),
            timeout=urllib3.Timeout(connect=_REQUEST_TIMEOUT_S, read=_REQUEST_TIMEOUT_S),
            retries=False,
        )
        return int(response.status), bytes(response.data or b"").decode(errors="replace")[:300]

    def look(self, namespaces: Sequence[str]) -> ClusterView:
        """One LIST of VMs and one of VMIs per namespace."""
        view = ClusterView()
        for namespace in sorted(set(namespaces)):
            for plural, into in (("virtualmachines", view.vms), ("virtualmachineinstances", view.vmis)):
                status, body, message = self._get(f"{_KUBEVIRT}/namespaces/{namespace}/{plural}")
                if status == 404:
                    continue
                if status != 200 or body is None:
                    raise GuestWaitError(
                        "Cannot read the VMs",
                        [
                            Problem(
                                f"{namespace}/{plural}", f"the API server answered {status}: {message}", ""
                            )
                        ],
                    )
                for item in body.get("items") or []:
                    into[f"{namespace}/{item['metadata']['name']}"] = item
        return view

    def kubevirt(self) -> Manifest | None:
        """The KubeVirt CR (rollout strategy); None when there is none or it cannot be read."""
        status, body, _ = self._get(f"{_KUBEVIRT}/kubevirts")
        items = (body or {}).get("items") or [] if status == 200 else []
        return items[0] if items else None

    def hostname(self, namespace: str, name: str) -> str | None:
        """The agent's hostname from virt-api's guestosinfo subresource; None where it is not served."""
        status, body, _ = self._get(GUEST_AGENT_INFO.format(namespace=namespace, name=name))
        return str(body.get("hostname")) if status == 200 and body and body.get("hostname") else None

    def restart(self, vm: Manifest) -> str:
        """Restart ``vm`` by virt-api's restart subresource, or, where it is not served, by deleting its VMI.

        Deleting the VMI restarts the VM only when virt-controller recreates it (run strategy Always); any
        other case is an error that says so rather than a VM silently left stopped.
        """
        namespace, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        strategy = run_strategy(vm)
        if strategy not in RESTARTABLE_RUN_STRATEGIES:
            raise GuestWaitError(
                f"Cannot restart VirtualMachine {namespace}/{name}",
                [Problem("runStrategy", f"run strategy {strategy} does not support a restart", "")],
            )
        status, message = self._send("PUT", RESTART_SUBRESOURCE.format(namespace=namespace, name=name), {})
        if 200 <= status < 300:
            return RestartMethod.SUBRESOURCE
        if status != 404:
            raise GuestWaitError(
                f"Cannot restart VirtualMachine {namespace}/{name}",
                [Problem("restart", f"virt-api answered {status}: {message}", "check the VM's state")],
            )
        if strategy not in RECREATED_WHEN_DELETED:
            raise GuestWaitError(
                f"Cannot restart VirtualMachine {namespace}/{name}",
                [
                    Problem(
                        "restart",
                        "this API server serves no restart subresource (no virt-api), and deleting the VMI "
                        f"would leave a {strategy} VM stopped",
                        "restart it with virtctl restart",
                    )
                ],
            )
        vmi_path = f"{_KUBEVIRT}/namespaces/{namespace}/virtualmachineinstances/{name}"
        status, message = self._send("DELETE", vmi_path)
        if status not in (200, 202, 404):
            raise GuestWaitError(
                f"Cannot restart VirtualMachine {namespace}/{name}",
                [Problem("restart", f"deleting its VMI answered {status}: {message}", "")],
            )
        return RestartMethod.DELETED_VMI


@dataclass(frozen=True, slots=True)
class WaitOutcome:
    verdicts: Mapping[str, Verdict]
    guests: Mapping[str, GuestInfo]
    looks: int
    seconds: float


def wait_for_guests(
    door: GuestDoor,
    targets: Sequence[WaitTarget],
    *,
    timeout_s: float,
    poll_s: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WaitOutcome:
    """Wait for every target at once; stop when all are ready (or skipped), one fails, or time runs out.

    Raises ``GuestWaitError`` naming every VM that failed or was still waiting, with KubeVirt's reason and
    message, or with what it was waiting for and what it saw last.
    """
    started = clock()
    namespaces = [t.namespace for t in targets]
    looks = 0
    while True:
        view = door.look(namespaces) if targets else ClusterView()
        looks += 1
        verdicts = {t.key: judge(t, view.vms.get(t.key), view.vmis.get(t.key)) for t in targets}
        failed = [t for t in targets if verdicts[t.key].state is WaitState.FAILED]
        waiting = [t for t in targets if verdicts[t.key].state is WaitState.WAITING]
        elapsed = clock() - started
        if failed or (waiting and elapsed >= timeout_s):
            raise GuestWaitError(
                _failure_title(failed, waiting, elapsed), _problems(failed, waiting, verdicts)
            )
        if not waiting:
            guests = {t.key: guest_info(view.vms.get(t.key), view.vmis.get(t.key)) for t in targets}
            return WaitOutcome(verdicts, guests, looks, elapsed)
        sleep(min(poll_s, max(0.0, timeout_s - elapsed)))


def _failure_title(failed: Sequence[WaitTarget], waiting: Sequence[WaitTarget], elapsed: float) -> str:
    if failed:
        return (
            f"{len(failed)} VM(s) cannot become ready: KubeVirt reports a state it will not leave by itself"
        )
    return f"{len(waiting)} VM(s) were not ready after {elapsed:.0f} s"


def _problems(
    failed: Sequence[WaitTarget], waiting: Sequence[WaitTarget], verdicts: Mapping[str, Verdict]
) -> list[Problem]:
    problems = [
        Problem(
            t.key,
            f"{verdicts[t.key].reason}: {verdicts[t.key].detail}",
            "fix the cause KubeVirt names (image, storage, scheduling), then run pulumi up again",
        )
        for t in failed
    ]
    if not failed:
        problems += [
            Problem(
                t.key,
                f"still waiting for {t.goal()}; last seen: {verdicts[t.key].detail}",
                "raise wait_timeout_seconds, set wait_for to a weaker condition, or check the VM",
            )
            for t in waiting
        ]
    return problems
