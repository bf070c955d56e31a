"""A stand-in for KubeVirt's and CDI's controllers on a cluster without a kubelet, acting only via the API.

Why: tests (and demos) need VMs that come up, DataVolumes that import, RestartRequired that appears, and
failures on request, against a real kube-apiserver. The simulator does what virt-api's webhook,
virt-controller, virt-handler, cdi-controller, the PV binder, the resizer and the garbage collector would do,
under their field manager names, in deterministic passes (no clock, no randomness). It mirrors KubeVirt v1.9
and CDI v1.66, never our plan engine.

    sim = Simulator(api_client)
    sim.settle("demo")          # reconcile until a pass writes nothing
    sim.fail("VirtualMachine", "demo", "web", "no-ip")
    sim.restart("demo", "web")
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from pulumi_kubevirt_devcluster.sim_api import (
    DATA_VOLUME,
    KUBEVIRT,
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_INSTANCE,
    VIRTUAL_MACHINE_INSTANCE_MIGRATION,
    VIRTUAL_MACHINE_RESTORE,
    VIRTUAL_MACHINE_SNAPSHOT,
    ClusterDoor,
    CustomKind,
)
from pulumi_kubevirt_devcluster.sim_mobility import reconcile_clones, reconcile_pools
from pulumi_kubevirt_devcluster.sim_pass import (
    PassSnapshot,
    default_storage_class,
    index,
    read_cluster_config,
)
from pulumi_kubevirt_devcluster.sim_snapshot import reconcile_snapshots
from pulumi_kubevirt_devcluster.sim_storage import reconcile_storage
from pulumi_kubevirt_devcluster.sim_tables import (
    FAILURE_ANNOTATION,
    FailureMode,
    Manager,
    RunStrategy,
    VmiPhase,
)
from pulumi_kubevirt_devcluster.sim_vm_controller import (
    SimulatorError,
    collect_garbage,
    reconcile_vm,
    reconcile_vms,
)
from pulumi_kubevirt_devcluster.sim_vm_status import run_strategy
from pulumi_kubevirt_devcluster.sim_workload_updater import finish_migrations, update_workloads

__all__ = ["FailureMode", "Simulator", "SimulatorError", "main"]

KUBEVIRT_NAMESPACE = "kubevirt"
KUBEVIRT_NAME = "kubevirt"
_FAILABLE_KINDS: dict[str, CustomKind] = {
    "VirtualMachine": VIRTUAL_MACHINE,
    "DataVolume": DATA_VOLUME,
}


class Simulator:
    """KubeVirt and CDI controllers in deterministic passes; every write is made through the API server."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._door = ClusterDoor(api_client)
        self._stopping: threading.Event | None = None

    def close(self) -> None:
        """End a background run() loop, if one is going (the pytest fixture calls this after each test)."""
        if self._stopping is not None:
            self._stopping.set()

    # Passes -------------------------------------------------------------------------------------------------

    def _snapshot(self, namespace: str | None) -> PassSnapshot:
        door = self._door
        classes = {str(item["metadata"]["name"]): item for item in door.list_storage_classes()}
        snapshot = PassSnapshot(
            door=door,
            config=read_cluster_config(door.get_custom(KUBEVIRT, KUBEVIRT_NAMESPACE, KUBEVIRT_NAME)),
            storage_classes=classes,
            default_class=default_storage_class(classes),
            vms=index(door.list_custom(VIRTUAL_MACHINE, namespace)),
            vmis=index(door.list_custom(VIRTUAL_MACHINE_INSTANCE, namespace)),
            data_volumes=index(door.list_custom(DATA_VOLUME, namespace)),
            pvcs=index(door.list_pvcs(namespace)),
            revisions=index(door.list_revisions(namespace)),
            migrations=index(door.list_custom(VIRTUAL_MACHINE_INSTANCE_MIGRATION, namespace)),
        )
        if namespace is None:
            _drop_namespaces(snapshot, door.terminating_namespaces())
        snapshot.event_names = {
            (str(event["metadata"]["namespace"]), str(event["metadata"]["name"]))
            for event in door.list_events(namespace)
        }
        return snapshot

    def reconcile(self, namespace: str | None = None) -> int:
        """One pass over DataVolumes, PVCs, migrations, VMs, VMIs (one namespace or all); returns the writes.

        Order: storage first; then migrations started last pass land; then the pool and clone controllers
        (they create and rewrite VMs); then each VM's sync; then the workload
        updater starts migrations (or evictions) for what the VMs' syncs hot-plugged; garbage last.
        """
        before = self._door.writes
        snapshot = self._snapshot(namespace)
        reconcile_storage(snapshot)
        finish_migrations(snapshot)
        reconcile_pools(snapshot, namespace)
        reconcile_clones(snapshot, namespace)
        reconcile_vms(snapshot)
        update_workloads(snapshot)
        collect_garbage(snapshot)
        reconcile_snapshots(self._door, namespace)
        return self._door.writes - before

    def settle(self, namespace: str | None = None, max_passes: int = 20) -> int:
        """Reconcile until a pass writes nothing; return the total writes; raise if it never settles."""
        total = 0
        for _ in range(max_passes):
            writes = self.reconcile(namespace)
            total += writes
            if writes == 0:
                return total
        where = f"namespace {namespace!r}" if namespace else "the cluster"
        raise SimulatorError(
            f"The simulator did not settle: {where} still changed after {max_passes} passes. "
            "Some object keeps changing; run reconcile() and compare the objects between passes."
        )

    # Imperative actions -------------------------------------------------------------------------------------

    def restart(self, namespace: str, name: str) -> None:
        """Delete the VMI and start a fresh one from the current template, as ``virtctl restart`` does."""
        snapshot = self._snapshot(namespace)
        key = (namespace, name)
        vm = snapshot.vms.get(key)
        if vm is None:
            raise SimulatorError(f"Cannot restart VirtualMachine {namespace}/{name}: it does not exist.")
        if run_strategy(vm) == RunStrategy.HALTED or key not in snapshot.vmis:
            raise SimulatorError(
                f"Cannot restart VirtualMachine {namespace}/{name}: it is not running. "
                "Start it first (set spec.runStrategy to Always, or call start())."
            )
        self._door.delete_custom(VIRTUAL_MACHINE_INSTANCE, namespace, name)
        del snapshot.vmis[key]
        reconcile_vm(snapshot, key, force_start=True)

    def snapshot_vm(self, namespace: str, vm: str, name: str) -> None:
        """``virtctl vm snapshot``: a VirtualMachineSnapshot of ``vm``, without any stack's labels."""
        body = {
            "apiVersion": VIRTUAL_MACHINE_SNAPSHOT.api_version,
            "kind": VIRTUAL_MACHINE_SNAPSHOT.kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"source": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": vm}},
        }
        self._door.create_custom(VIRTUAL_MACHINE_SNAPSHOT, namespace, body, Manager.VIRTCTL)

    def restore_vm(self, namespace: str, vm: str, snapshot: str, name: str) -> None:
        """``virtctl vm restore``: a VirtualMachineRestore of ``vm`` from ``snapshot``."""
        body = {
            "apiVersion": VIRTUAL_MACHINE_RESTORE.api_version,
            "kind": VIRTUAL_MACHINE_RESTORE.kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "target": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": vm},
                "virtualMachineSnapshotName": snapshot,
            },
        }
        self._door.create_custom(VIRTUAL_MACHINE_RESTORE, namespace, body, Manager.VIRTCTL)

    def stop_vm(self, namespace: str, name: str) -> None:
        """``virtctl stop``: flip the run strategy to Halted under the ``virtctl`` field manager."""
        self._set_running(namespace, name, running=False)

    def start_vm(self, namespace: str, name: str) -> None:
        """``virtctl start``: flip the run strategy to Always under the ``virtctl`` field manager."""
        self._set_running(namespace, name, running=True)

    def _set_running(self, namespace: str, name: str, *, running: bool) -> None:
        vm = self._door.get_custom(VIRTUAL_MACHINE, namespace, name)
        if vm is None:
            raise SimulatorError(f"Cannot change VirtualMachine {namespace}/{name}: it does not exist.")
        spec = vm.get("spec", {})
        wanted: bool | str = (RunStrategy.ALWAYS if running else RunStrategy.HALTED).value
        field = "runStrategy"
        if "running" in spec and "runStrategy" not in spec:
            field, wanted = "running", running
        body = {"spec": {field: wanted}}
        self._door.patch_custom(VIRTUAL_MACHINE, namespace, name, body, Manager.VIRTCTL)

    def shutdown(self, namespace: str, name: str, *, failed: bool = False) -> None:
        """The guest powers off (or crashes, ``failed``): the VMI ends; the run strategy decides what next."""
        vmi = self._door.get_custom(VIRTUAL_MACHINE_INSTANCE, namespace, name)
        if vmi is None:
            raise SimulatorError(
                f"Cannot shut down VirtualMachine {namespace}/{name}: it has no running instance."
            )
        phase = VmiPhase.FAILED if failed else VmiPhase.SUCCEEDED
        status = {
            "phase": phase.value,
            "conditions": [{"type": "Ready", "status": "False", "reason": "PodTerminating"}],
        }
        patch = [{"op": "add", "path": "/status", "value": status}]
        self._door.patch_custom(VIRTUAL_MACHINE_INSTANCE, namespace, name, patch, Manager.VIRT_HANDLER)

    def fail(self, kind: str, namespace: str, name: str, mode: FailureMode | str | None) -> None:
        """Switch a failure mode on (off with ``None``) for a VirtualMachine or DataVolume, by annotation."""
        custom_kind = _FAILABLE_KINDS.get(kind)
        if custom_kind is None:
            raise SimulatorError(
                f"Cannot inject a failure into a {kind}: "
                f"only {', '.join(sorted(_FAILABLE_KINDS))} take failure modes."
            )
        value: str | None = None
        if mode is not None:
            try:
                value = FailureMode(mode).value
            except ValueError:
                known = ", ".join(item.value for item in FailureMode)
                raise SimulatorError(f"Unknown failure mode {mode!r}: use one of {known}.") from None
        body = {"metadata": {"annotations": {FAILURE_ANNOTATION: value}}}
        try:
            self._door.patch_custom(custom_kind, namespace, name, body, Manager.FAILURE_INJECTOR)
        except ApiException as error:
            raise SimulatorError(
                f"Cannot inject a failure into {kind} {namespace}/{name}: {error.reason}."
            ) from None

    @property
    def writes(self) -> int:
        """Writes made since this simulator was created."""
        return self._door.writes

    # Background loop ----------------------------------------------------------------------------------------

    def run(self, stop: threading.Event, interval: float = 0.5, namespace: str | None = None) -> None:
        """Reconcile every ``interval`` seconds until ``stop`` (or close()) is set; tests call settle()."""
        self._stopping = stop
        while not stop.is_set():
            try:
                self.reconcile(namespace)
            except ApiException as error:
                print(f"simulator: pass failed ({error.status} {error.reason}); retrying", file=sys.stderr)
            stop.wait(interval)


def _drop_namespaces(snapshot: PassSnapshot, namespaces: set[str]) -> None:
    """Leave namespaces that are being deleted alone: the API refuses creates there."""
    if not namespaces:
        return
    for objects in (
        snapshot.vms,
        snapshot.vmis,
        snapshot.data_volumes,
        snapshot.pvcs,
        snapshot.revisions,
        snapshot.migrations,
    ):
        for key in [key for key in objects if key[0] in namespaces]:
            del objects[key]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_kubevirt_devcluster.simulator",
        description="Play KubeVirt's and CDI's controllers against a cluster that has no kubelet.",
    )
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the cluster to act on")
    parser.add_argument("--namespace", default=None, help="only this namespace (default: all)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between passes")
    parser.add_argument("--once", action="store_true", help="settle once and exit")
    args = parser.parse_args(argv)
    api_client = config.new_client_from_config(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    simulator = Simulator(api_client)
    if args.once:
        print(f"settled after {simulator.settle(args.namespace)} writes")
        return 0
    stop = threading.Event()
    try:
        simulator.run(stop, args.interval, args.namespace)
    except KeyboardInterrupt:
        stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
