"""Where the upstream API bundle (CRDs, JSON Schemas, instancetypes) and the manifest corpus live.

They are data shipped beside this repository (``../shared/kubevirt`` and ``../shared/corpus``), never
copied into it. ``PULUMI_KUBEVIRT_BUNDLE`` and ``PULUMI_KUBEVIRT_CORPUS`` point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = REPO_ROOT / "schemas"


class BundleMissingError(FileNotFoundError):
    """The upstream bundle is not where we looked."""


def _locate(variable: str, default: Path, what: str) -> Path:
    configured = os.environ.get(variable)
    path = Path(configured) if configured else default
    if not path.is_dir():
        raise BundleMissingError(
            f"{what} not found at {path}. Set {variable} to the directory that holds it "
            f"(in this repository's CI it is {default})."
        )
    return path


def bundle_dir() -> Path:
    """The KubeVirt/CDI/Multus API bundle: crds/, schemas/, instancetypes/."""
    return _locate(
        "PULUMI_KUBEVIRT_BUNDLE", REPO_ROOT.parent / "shared" / "kubevirt", "The KubeVirt API bundle"
    )


def corpus_dir() -> Path:
    """Real-world KubeVirt manifests used by the tests."""
    return _locate("PULUMI_KUBEVIRT_CORPUS", REPO_ROOT.parent / "shared" / "corpus", "The manifest corpus")
