"""Every object of the kinds we import in one namespace, one LIST per kind: ``kvplan import`` from a cluster.

Secrets are not listed: imported VMs reference their Secrets by name, so their values are never read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.live import kinds
from pulumi_kubevirt.live.kinds import KindRef
from pulumi_kubevirt.live.transport import ApiReader, LiveReadError

IMPORT_KINDS: tuple[KindRef, ...] = (
    kinds.VIRTUAL_MACHINE,
    kinds.DATA_VOLUME,
    kinds.PERSISTENT_VOLUME_CLAIM,
    kinds.NETWORK_ATTACHMENT_DEFINITION,
    kinds.SERVICE,
)


def list_namespace(
    api_client: Any, namespace: str, *, vm_selector: str | None = None, timeout_s: float = 60.0
) -> tuple[list[Mapping[str, Any]], int]:
    """Every object of ``IMPORT_KINDS`` in ``namespace`` (VMs filtered by ``vm_selector``), and the number
    of requests.

    A kind the cluster does not serve (404) contributes nothing; any other failure raises LiveReadError with
    every problem.
    """
    reader = ApiReader(api_client, deadline=time.monotonic() + timeout_s)

    def one(ref: KindRef) -> tuple[KindRef, Any]:
        query = {"labelSelector": vm_selector} if vm_selector and ref == kinds.VIRTUAL_MACHINE else None
        try:
            return ref, reader.get(ref.collection_path(namespace), query)
        except LiveReadError as error:
            return ref, error

    with ThreadPoolExecutor(max_workers=len(IMPORT_KINDS)) as pool:
        answers = list(pool.map(one, IMPORT_KINDS))
    objects: list[Mapping[str, Any]] = []
    problems: list[Problem] = []
    for ref, answer in answers:
        if isinstance(answer, LiveReadError):
            problems.extend(answer.problems)
            continue
        if answer.status == 404:
            continue
        if answer.body is None:
            problems.append(
                Problem(
                    f"LIST {ref.display()} in {namespace}",
                    f"the API server answered {answer.status}: {answer.message}",
                    "check that the credentials may list it in this namespace, then run the import again",
                )
            )
            continue
        for item in answer.body.get("items") or []:
            objects.append({"apiVersion": ref.api_version, "kind": ref.kind, **item})
    if problems:
        raise LiveReadError("Cannot read the namespace to import", problems)
    return objects, len(IMPORT_KINDS)
