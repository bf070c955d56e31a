"""Generate the package data of both distributions from ``schemas/`` and the upstream API bundle.

    python scripts/package_data.py write    regenerate the files in the two packages' data/ folders
    python scripts/package_data.py check    exit 1 and name every file that differs from a fresh generation

What the installed product reads at run time must ship in its wheel (no repository, no ``../shared`` on a
user's machine):

- ``pulumi_kubevirt/data/schemas/``: byte copies of the repository's ``schemas/`` (the source of truth);
- ``pulumi_kubevirt/data/upstream/``: the strict upstream JSON Schemas of the kinds we emit
  (``spec.upstream.UPSTREAM_SCHEMAS``);
- ``pulumi_kubevirt_devcluster/data/``: the kube-apiserver 1.20 CRDs and the common-instancetypes the dev
  cluster installs.

Upstream files lose their ``description`` keywords (they are most of the bytes and no check reads them) and
become JSON with sorted keys; everything else is kept as it was. Each upstream data folder carries the licence
and a ``PROVENANCE.json`` naming, per file, the bundle file it came from, that file's recorded upstream origin
and the SHA-256 of both. The bundle is ``$PULUMI_KUBEVIRT_BUNDLE`` or ``../shared/kubevirt``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS_SOURCE = ROOT / "schemas"
PRODUCT_DATA = Path("provider/pulumi_kubevirt/data")
DEVCLUSTER_DATA = Path("provider/devcluster/pulumi_kubevirt_devcluster/data")
CRD_SOURCE = "crds/k8s-1.20"
INSTANCETYPES_SOURCE = "instancetypes/common-instancetypes-v1.7.0.yaml"
LICENSE_SOURCE = "LICENSES/Apache-2.0.txt"
LICENSE_NAME = "LICENSE-Apache-2.0.txt"
PROVENANCE_NAME = "PROVENANCE.json"
TRANSFORM = "description keywords removed from the schemas; re-serialised as JSON with sorted keys"

# JSON Schema / OpenAPI keywords whose value is a schema, a list of schemas, or a map of name -> schema.
# Only these are walked, so a property *named* "description" or a default value is never touched.
_SCHEMA_VALUED = ("additionalProperties", "items", "not", "if", "then", "else", "contains", "propertyNames",
                  "additionalItems", "unevaluatedProperties", "unevaluatedItems")  # fmt: skip
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def bundle_dir() -> Path:
    """The upstream API bundle: ``$PULUMI_KUBEVIRT_BUNDLE`` or ``../shared/kubevirt`` beside the checkout."""
    return _located("PULUMI_KUBEVIRT_BUNDLE", ROOT.parent / "shared" / "kubevirt", "The KubeVirt API bundle")


def corpus_dir() -> Path:
    """Real-world KubeVirt manifests the tests read: ``$PULUMI_KUBEVIRT_CORPUS`` or ``../shared/corpus``."""
    return _located("PULUMI_KUBEVIRT_CORPUS", ROOT.parent / "shared" / "corpus", "The manifest corpus")


class BundleMissingError(FileNotFoundError):
    """The upstream bundle (a development input, never needed by the installed product) is not there."""


def _located(variable: str, default: Path, what: str) -> Path:
    configured = os.environ.get(variable)
    path = Path(configured) if configured else default
    if not path.is_dir():
        raise BundleMissingError(
            f"{what} is missing.\n{path} does not exist; generating the package data and the tests that "
            f"compare against upstream need it. Set {variable} to the directory that holds it (in this "
            f"repository's CI it is {default})."
        )
    return path


def strip_descriptions(schema: Any) -> Any:
    """A copy of a JSON Schema / OpenAPI schema without its ``description`` keywords, at every depth."""
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            continue
        if key in _SCHEMA_VALUED:
            out[key] = (
                [strip_descriptions(v) for v in value]
                if isinstance(value, list)
                else (strip_descriptions(value))
            )
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [strip_descriptions(v) for v in value]
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: strip_descriptions(sub) for name, sub in value.items()}
        else:
            out[key] = value
    return out


def strip_crd_descriptions(crd: Mapping[str, Any]) -> dict[str, Any]:
    """The CRD without descriptions in each version's ``openAPIV3Schema`` (nothing else changes)."""
    copy: dict[str, Any] = json.loads(json.dumps(crd))
    for version in copy["spec"]["versions"]:
        schema = version.get("schema", {}).get("openAPIV3Schema")
        if schema is not None:
            version["schema"]["openAPIV3Schema"] = strip_descriptions(schema)
    return copy


def encode(document: Any) -> bytes:
    """Compact JSON with sorted keys: deterministic, and the fastest form to load."""
    return (json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _header(text: str) -> str:
    """The comment block a bundle YAML file opens with: its recorded upstream origin."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def _yaml_documents(text: str) -> list[Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc]


def _provenance(bundle: Path, entries: list[dict[str, Any]]) -> bytes:
    readme = (bundle / "README.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
    return encode(
        {
            "bundle": readme,
            "bundle_sources": "SOURCES.md of the bundle lists each file's upstream repository, tag and path",
            "generator": "scripts/package_data.py",
            "license": f"Apache-2.0, see {LICENSE_NAME}",
            "transform": TRANSFORM,
            "files": entries,
        }
    )


def _entry(name: str, source: str, source_bytes: bytes, origin: Any, output: bytes) -> dict[str, Any]:
    return {
        "file": name,
        "source": source,
        "source_sha256": _sha256(source_bytes),
        "origin": origin,
        "sha256": _sha256(output),
    }


def _user_schemas() -> dict[Path, bytes]:
    return {
        PRODUCT_DATA / "schemas" / path.name: path.read_bytes()
        for path in sorted(SCHEMAS_SOURCE.glob("*.json"))
    }


def _upstream_schemas(bundle: Path) -> dict[Path, bytes]:
    from pulumi_kubevirt.spec.upstream import UPSTREAM_SCHEMAS

    files: dict[Path, bytes] = {}
    entries = []
    for name in sorted({name for names in UPSTREAM_SCHEMAS.values() for name in names}):
        source = bundle / "schemas" / name
        raw = source.read_bytes()
        document = json.loads(raw)
        output = encode(strip_descriptions(document))
        files[PRODUCT_DATA / "upstream" / name] = output
        entries.append(_entry(name, f"schemas/{name}", raw, document.get("x-source"), output))
    files[PRODUCT_DATA / "upstream" / LICENSE_NAME] = (bundle / LICENSE_SOURCE).read_bytes()
    files[PRODUCT_DATA / "upstream" / PROVENANCE_NAME] = _provenance(bundle, entries)
    return files


def _devcluster_data(bundle: Path) -> dict[Path, bytes]:
    files: dict[Path, bytes] = {}
    entries = []
    for source in sorted((bundle / CRD_SOURCE).glob("*.yaml")):
        text = source.read_text(encoding="utf-8")
        (crd,) = _yaml_documents(text)
        name = f"crds/{source.stem}.json"
        output = encode(strip_crd_descriptions(crd))
        files[DEVCLUSTER_DATA / name] = output
        entries.append(_entry(name, f"{CRD_SOURCE}/{source.name}", text.encode(), _header(text), output))
    source = bundle / INSTANCETYPES_SOURCE
    text = source.read_text(encoding="utf-8")
    name = f"instancetypes/{source.stem}.json"
    output = encode(_yaml_documents(text))
    files[DEVCLUSTER_DATA / name] = output
    entries.append(_entry(name, INSTANCETYPES_SOURCE, text.encode(), _header(text), output))
    files[DEVCLUSTER_DATA / LICENSE_NAME] = (bundle / LICENSE_SOURCE).read_bytes()
    files[DEVCLUSTER_DATA / PROVENANCE_NAME] = _provenance(bundle, entries)
    return files


def generate(bundle: Path | None = None) -> dict[Path, bytes]:
    """Every generated file (path relative to the repository root) and its exact bytes."""
    source = bundle or bundle_dir()
    return {**_user_schemas(), **_upstream_schemas(source), **_devcluster_data(source)}


def generated_dirs() -> tuple[Path, ...]:
    return (PRODUCT_DATA, DEVCLUSTER_DATA)


def differences(expected: Mapping[Path, bytes], root: Path = ROOT) -> list[str]:
    """What differs between the files on disk and ``expected``: changed, missing and stray files."""
    found = {
        path.relative_to(root)
        for folder in generated_dirs()
        if (root / folder).is_dir()
        for path in (root / folder).rglob("*")
        if path.is_file()
    }
    problems = [f"{path}: not generated by this script (remove it)" for path in sorted(found - set(expected))]
    for path, data in sorted(expected.items()):
        if path not in found:
            problems.append(f"{path}: missing")
        elif (root / path).read_bytes() != data:
            problems.append(f"{path}: differs from a fresh generation")
    return problems


def write(expected: Mapping[Path, bytes], root: Path = ROOT) -> None:
    for folder in generated_dirs():
        for path in sorted((root / folder).rglob("*"), reverse=True) if (root / folder).is_dir() else []:
            if path.is_file() and path.relative_to(root) not in expected:
                path.unlink()
    for path, data in expected.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)


def main(argv: list[str]) -> int:
    if argv not in (["write"], ["check"]):
        print(__doc__, file=sys.stderr)
        return 64
    try:
        expected = generate()
    except BundleMissingError as error:
        print(error, file=sys.stderr)
        return 1
    if argv == ["write"]:
        write(expected)
        print(f"wrote {len(expected)} files under {', '.join(map(str, generated_dirs()))}")
        return 0
    problems = differences(expected)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("The package data is stale: run `python scripts/package_data.py write`.", file=sys.stderr)
        return 1
    print(f"package data up to date ({len(expected)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
