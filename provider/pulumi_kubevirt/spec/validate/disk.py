"""Checks of one Disk (a CDI DataVolume or a plain PersistentVolumeClaim) and of image sources.

Rows ``cdi-*`` and ``k8s-pvc-*`` of the rule table: what CDI's DataVolume webhook and the API server's
PersistentVolumeClaim validation refuse.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec.model import (
    AccessMode,
    DataSourceRef,
    DiskArgs,
    PlainPvc,
    PvcCloneSource,
    RegistrySource,
    VddkSource,
)
from pulumi_kubevirt.spec.validate.common import (
    annotation_problems,
    label_problems,
    name_problems,
    quantity_or_problems,
    subdomain_problems,
)

# CDI rejects DataVolumes under 1MiB, "for consistency" with KubeVirt (validateStorageSize).
MIN_DATAVOLUME_BYTES = Decimal(2**20)
# validateSourceURL: url.ParseRequestURI, then the scheme is http, https or gs.
HTTP_SOURCE_SCHEMES = ("http", "https", "gs")
# validateDataVolumeSourceRegistry: cdiv1.RegistrySchemeDocker and cdiv1.RegistrySchemeOci.
REGISTRY_SCHEMES = ("docker", "oci-archive")


def size_problems(size: object, path: str, *, datavolume: bool) -> list[Problem]:
    """A positive quantity; at least 1MiB when CDI makes the disk."""
    amount, problems = quantity_or_problems(size, path)
    if amount is None:
        return problems
    if amount <= 0:
        return [Problem(path, f'"{size}" must be greater than zero', "write a positive size such as 10Gi")]
    if datavolume and amount < MIN_DATAVOLUME_BYTES:
        return [Problem(path, f'"{size}" is less than the 1Mi CDI accepts for a disk', "write at least 1Mi")]
    return []


def access_mode_problems(modes: tuple[AccessMode, ...], path: str) -> list[Problem]:
    problems: list[Problem] = []
    if len(set(modes)) != len(modes):
        problems.append(Problem(path, "an access mode is repeated", "list each once"))
    if AccessMode.READ_WRITE_ONCE_POD in modes and len(set(modes)) > 1:
        problems.append(
            Problem(
                path,
                "ReadWriteOncePod cannot be combined with another access mode",
                "keep ReadWriteOncePod alone, or drop it",
            )
        )
    return problems


def checkpoint_problems(args: DiskArgs, path: str) -> list[Problem]:
    """Checkpoints are CDI's multi-stage import, which only its vddk and imageio sources run.

    Source: containerized-data-importer v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go ``Admit``
    (the multi-stage exemption checks ``Source.VDDK``/``Source.Imageio``).
    """
    problems: list[Problem] = []
    if args.checkpoints and not isinstance(args.source, VddkSource):
        problems.append(
            Problem(
                paths.join(path, "checkpoints"),
                "checkpoints (a warm migration) need a vddk source",
                "set source.vddk, or drop checkpoints for a cold copy",
            )
        )
    if args.final_checkpoint and not args.checkpoints:
        problems.append(
            Problem(
                paths.join(path, "final_checkpoint"),
                "final_checkpoint marks the last of the checkpoints, and there are none",
                "add the checkpoints, or drop final_checkpoint",
            )
        )
    seen: set[str] = set()
    for index, checkpoint in enumerate(args.checkpoints):
        if checkpoint.current in seen or not checkpoint.current:
            problems.append(
                Problem(
                    paths.join(path, "checkpoints", index, "current"),
                    f"snapshot {checkpoint.current!r} is empty or already copied by an earlier checkpoint",
                    "give each checkpoint the id of a new snapshot",
                )
            )
        expected = args.checkpoints[index - 1].current if index else ""
        if checkpoint.previous != expected:
            problems.append(
                Problem(
                    paths.join(path, "checkpoints", index, "previous"),
                    f"previous is {checkpoint.previous!r}, but the checkpoint before it copied {expected!r}",
                    f"set previous to {expected!r}: each stage copies the changes since the last one",
                )
            )
        seen.add(checkpoint.current)
    return problems


def validate_disk(args: DiskArgs, path: str) -> list[Problem]:
    """Check one Disk (a DataVolume, or a plain PVC)."""
    problems = name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    problems += name_problems(args.name, paths.join(path, "name"), "disk name")
    problems += size_problems(args.size, paths.join(path, "size"), datavolume=not args.is_plain_pvc)
    problems += label_problems(args.labels, paths.join(path, "labels"))
    problems += annotation_problems(args.annotations, paths.join(path, "annotations"))
    if args.storage_class is not None:
        problems += subdomain_problems(args.storage_class, paths.join(path, "storage_class"), "storage class")
    patch_spec = args.patch.get("spec") if isinstance(args.patch, Mapping) else None
    patch_gives_source = isinstance(patch_spec, Mapping) and bool({"source", "sourceRef"} & set(patch_spec))
    if args.source is not None and patch_gives_source:
        problems.append(
            Problem(
                paths.join(path, "patch", "spec"),
                "the patch gives a source and so does source; a DataVolume takes exactly one",
                "keep the typed source and drop it from the patch, or drop source",
            )
        )
    if args.source is None and not args.pvc_only and not patch_gives_source:
        problems.append(
            Problem(
                paths.join(path, "source"),
                "a disk needs exactly one source",
                "set one of http, registry, pvc, blank or upload, or pvc_only: true for a plain PVC",
            )
        )
    if args.pvc_only and args.source is not None and not isinstance(args.source, PlainPvc):
        problems.append(
            Problem(
                paths.join(path, "pvc_only"),
                "pvc_only makes a plain PVC, which cannot also import from a source",
                "drop pvc_only, or drop source",
            )
        )
    if args.is_plain_pvc and args.preallocation is not None:
        problems.append(
            Problem(
                paths.join(path, "preallocation"),
                "preallocation is a CDI feature and a plain PVC has no CDI",
                "drop preallocation, or give the disk a blank source",
            )
        )
    if isinstance(args.source, PvcCloneSource):
        problems += clone_source_problems(args.source, paths.join(path, "source"))
    if isinstance(args.source, DataSourceRef):
        problems += data_source_problems(args.source, paths.join(path, "source", "data_source"))
    problems += image_url_problems(args.source, paths.join(path, "source"))
    problems += checkpoint_problems(args, path)
    problems += access_mode_problems(args.access_modes, paths.join(path, "access_modes"))
    return problems


def clone_source_problems(source: PvcCloneSource, path: str) -> list[Problem]:
    problems = name_problems(source.namespace, paths.join(path, "namespace"), "namespace")
    problems += subdomain_problems(source.name, paths.join(path, "name"), "PVC name")
    return problems


def data_source_problems(source: DataSourceRef, path: str) -> list[Problem]:
    """A DataSource is named like any object (a DNS subdomain) and lives in a namespace (a DNS label)."""
    problems = subdomain_problems(source.name, paths.join(path, "name"), "DataSource name")
    if source.namespace is not None:
        problems += name_problems(source.namespace, paths.join(path, "namespace"), "namespace")
    return problems


def image_url_problems(source: object, path: str) -> list[Problem]:
    """HTTP sources take http, https or gs URLs; registry sources docker:// or oci-archive:// URLs."""
    url = getattr(source, "url", None)
    if url is None:
        return []
    where = paths.join(path, "url")
    if not isinstance(url, str):
        return [Problem(where, f"{url!r} is not a URL", "write the URL as a string")]
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if isinstance(source, RegistrySource):
        if scheme not in REGISTRY_SCHEMES:
            return [
                Problem(
                    where,
                    f"registry URL {url!r} has no docker:// or oci-archive:// scheme, which CDI requires",
                    f"write docker://{url.split('://')[-1]}",
                )
            ]
        return []
    parsed = urllib.parse.urlsplit(url)
    if scheme not in HTTP_SOURCE_SCHEMES or not parsed.netloc or re.search(r"\s", url):
        hint = (
            " (an s3:// URL needs CDI's s3 source, which pulumi-kubevirt does not offer)"
            if scheme == "s3"
            else ""
        )
        return [
            Problem(
                where,
                f"{url!r} is not an http, https or gs URL{hint}",
                "write https://host/path/image.qcow2",
            )
        ]
    return []
