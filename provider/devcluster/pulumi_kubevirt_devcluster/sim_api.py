"""The simulator's only door to the cluster: the official Kubernetes client, objects as plain dicts.

Why a door: every write goes through one place that names its field manager and counts it, so a reconcile pass
can report how many writes it made and ``settle`` can stop when a pass writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

JsonObject = dict[str, Any]
JsonPatch = list[dict[str, Any]]

HTTP_NOT_FOUND = 404
HTTP_CONFLICT = 409
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True, slots=True)
class CustomKind:
    """A custom resource kind as the API addresses it."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


VIRTUAL_MACHINE = CustomKind("kubevirt.io", "v1", "virtualmachines", "VirtualMachine")
VIRTUAL_MACHINE_INSTANCE = CustomKind(
    "kubevirt.io", "v1", "virtualmachineinstances", "VirtualMachineInstance"
)
VIRTUAL_MACHINE_INSTANCE_MIGRATION = CustomKind(
    "kubevirt.io", "v1", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration"
)
KUBEVIRT = CustomKind("kubevirt.io", "v1", "kubevirts", "KubeVirt")
DATA_VOLUME = CustomKind("cdi.kubevirt.io", "v1beta1", "datavolumes", "DataVolume")
DATA_SOURCE = CustomKind("cdi.kubevirt.io", "v1beta1", "datasources", "DataSource")
VIRTUAL_MACHINE_SNAPSHOT = CustomKind(
    "snapshot.kubevirt.io", "v1beta1", "virtualmachinesnapshots", "VirtualMachineSnapshot"
)
VIRTUAL_MACHINE_RESTORE = CustomKind(
    "snapshot.kubevirt.io", "v1beta1", "virtualmachinerestores", "VirtualMachineRestore"
)
VOLUME_SNAPSHOT_CLASS = CustomKind(
    "snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass"
)


def object_key(obj: JsonObject) -> tuple[str, str]:
    """(namespace, name) of an object, the key every index of a pass uses."""
    metadata = obj.get("metadata", {})
    return str(metadata.get("namespace", "")), str(metadata.get("name", ""))


def _sorted(items: list[JsonObject]) -> list[JsonObject]:
    return sorted(items, key=object_key)


class ClusterDoor:
    """Reads return dicts sorted by (namespace, name); writes name a field manager and are counted."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._api_client = api_client
        self._custom = client.CustomObjectsApi(api_client)
        self._core = client.CoreV1Api(api_client)
        self._apps = client.AppsV1Api(api_client)
        self._storage = client.StorageV1Api(api_client)
        self.writes = 0

    def _plain(self, model: Any) -> JsonObject:
        return cast(JsonObject, self._api_client.sanitize_for_serialization(model))  # type: ignore[no-untyped-call]

    # Custom resources ---------------------------------------------------------------------------------------

    def list_custom(self, kind: CustomKind, namespace: str | None) -> list[JsonObject]:
        if namespace is None:
            answer = self._custom.list_cluster_custom_object(kind.group, kind.version, kind.plural)
        else:
            answer = self._custom.list_namespaced_custom_object(
                kind.group, kind.version, namespace, kind.plural
            )
        return _sorted(list(cast(JsonObject, answer).get("items", [])))

    def list_custom_if_served(self, kind: CustomKind) -> list[JsonObject] | None:
        """Every cluster-wide object of ``kind``; ``None`` when the cluster does not serve the kind."""
        try:
            return self.list_custom(kind, None)
        except ApiException as error:
            if error.status == HTTP_NOT_FOUND:
                return None
            raise

    def get_custom(self, kind: CustomKind, namespace: str, name: str) -> JsonObject | None:
        try:
            found = cast(
                JsonObject,
                self._custom.get_namespaced_custom_object(
                    kind.group, kind.version, namespace, kind.plural, name
                ),
            )
        except ApiException as error:
            if error.status == HTTP_NOT_FOUND:
                return None
            raise
        return found

    def create_custom(self, kind: CustomKind, namespace: str, body: JsonObject, manager: str) -> JsonObject:
        self.writes += 1
        created = self._custom.create_namespaced_custom_object(
            kind.group, kind.version, namespace, kind.plural, body, field_manager=manager
        )
        return cast(JsonObject, created)

    def patch_custom(
        self,
        kind: CustomKind,
        namespace: str,
        name: str,
        patch: JsonPatch | JsonObject,
        manager: str,
        *,
        status: bool = False,
    ) -> JsonObject:
        """A JSON patch (list) or a JSON merge patch (dict), on the object or its status subresource."""
        self.writes += 1
        method = (
            self._custom.patch_namespaced_custom_object_status
            if status
            else self._custom.patch_namespaced_custom_object
        )
        content_type = JSON_PATCH if isinstance(patch, list) else MERGE_PATCH
        patched = method(
            kind.group,
            kind.version,
            namespace,
            kind.plural,
            name,
            patch,
            field_manager=manager,
            _content_type=content_type,
        )
        return cast(JsonObject, patched)

    def replace_custom(self, kind: CustomKind, namespace: str, name: str, body: JsonObject) -> JsonObject:
        """PUT the whole object (``body`` carries the resourceVersion it was read at)."""
        self.writes += 1
        replaced = self._custom.replace_namespaced_custom_object(
            kind.group, kind.version, namespace, kind.plural, name, body
        )
        return cast(JsonObject, replaced)

    def delete_custom(self, kind: CustomKind, namespace: str, name: str) -> None:
        self.writes += 1
        try:
            self._custom.delete_namespaced_custom_object(
                kind.group, kind.version, namespace, kind.plural, name
            )
        except ApiException as error:
            if error.status != HTTP_NOT_FOUND:
                raise

    # PersistentVolumeClaims, ControllerRevisions, StorageClasses, Events ------------------------------------

    def list_pvcs(self, namespace: str | None) -> list[JsonObject]:
        if namespace is None:
            answer = self._core.list_persistent_volume_claim_for_all_namespaces()
        else:
            answer = self._core.list_namespaced_persistent_volume_claim(namespace)
        return _sorted([self._plain(item) for item in answer.items])

    def get_pvc(self, namespace: str, name: str) -> JsonObject | None:
        try:
            return self._plain(self._core.read_namespaced_persistent_volume_claim(name, namespace))
        except ApiException as error:
            if error.status == HTTP_NOT_FOUND:
                return None
            raise

    def create_pvc(self, namespace: str, body: JsonObject, manager: str) -> JsonObject:
        self.writes += 1
        return self._plain(
            self._core.create_namespaced_persistent_volume_claim(
                namespace, cast(Any, body), field_manager=manager
            )
        )

    def patch_pvc_status(self, namespace: str, name: str, patch: JsonPatch, manager: str) -> JsonObject:
        self.writes += 1
        return self._plain(
            self._core.patch_namespaced_persistent_volume_claim_status(
                name, namespace, patch, field_manager=manager, _content_type=JSON_PATCH
            )
        )

    def patch_pvc(self, namespace: str, name: str, patch: JsonPatch, manager: str) -> JsonObject:
        self.writes += 1
        return self._plain(
            self._core.patch_namespaced_persistent_volume_claim(
                name, namespace, patch, field_manager=manager, _content_type=JSON_PATCH
            )
        )

    def delete_pvc(self, namespace: str, name: str) -> None:
        self.writes += 1
        try:
            self._core.delete_namespaced_persistent_volume_claim(name, namespace)
        except ApiException as error:
            if error.status != HTTP_NOT_FOUND:
                raise

    def list_revisions(self, namespace: str | None) -> list[JsonObject]:
        if namespace is None:
            answer = self._apps.list_controller_revision_for_all_namespaces()
        else:
            answer = self._apps.list_namespaced_controller_revision(namespace)
        return _sorted([self._plain(item) for item in answer.items])

    def create_revision(self, namespace: str, body: JsonObject, manager: str) -> None:
        self.writes += 1
        try:
            self._apps.create_namespaced_controller_revision(
                namespace, cast(Any, body), field_manager=manager
            )
        except ApiException as error:
            if error.status != HTTP_CONFLICT:
                raise

    def delete_revision(self, namespace: str, name: str) -> None:
        self.writes += 1
        try:
            self._apps.delete_namespaced_controller_revision(name, namespace)
        except ApiException as error:
            if error.status != HTTP_NOT_FOUND:
                raise

    def terminating_namespaces(self) -> set[str]:
        """Namespaces being deleted: creates there fail, and no namespace controller empties them here."""
        namespaces = [self._plain(item) for item in self._core.list_namespace().items]
        return {
            str(item["metadata"]["name"])
            for item in namespaces
            if (item.get("status") or {}).get("phase") == "Terminating"
        }

    def list_storage_classes(self) -> list[JsonObject]:
        answer = self._storage.list_storage_class()
        return sorted(
            (self._plain(item) for item in answer.items), key=lambda sc: str(sc["metadata"]["name"])
        )

    def list_events(self, namespace: str | None) -> list[JsonObject]:
        if namespace is None:
            answer = self._core.list_event_for_all_namespaces()
        else:
            answer = self._core.list_namespaced_event(namespace)
        return _sorted([self._plain(item) for item in answer.items])

    def create_event(self, namespace: str, body: JsonObject, manager: str) -> None:
        self.writes += 1
        try:
            self._core.create_namespaced_event(namespace, cast(Any, body), field_manager=manager)
        except ApiException as error:
            if error.status != HTTP_CONFLICT:
                raise
