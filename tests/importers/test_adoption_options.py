"""``adopt`` in fleet config becomes Pulumi's ``import`` option on the children that exist; adopted disks stay
protected even when ``allow_data_loss`` is set (rendered through the fleet program under the mock runtime)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_kubevirt.program.desired import RegisteredResource, desired_state_of_stack

REPO = Path(__file__).resolve().parents[2]


def render(tmp_path: Path, fleet: dict[str, Any]) -> dict[str, RegisteredResource]:
    project = tmp_path / "project"
    shutil.copytree(REPO / "programs" / "fleet", project / "programs" / "fleet")
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": {"kubevirt:fleet": fleet}}))
    rendered = desired_state_of_stack(project, "dev", runtime=True)  # the components register the options
    return {f"{r.type.rsplit(':', 1)[-1]}/{r.name}": r for r in rendered.resources if r.is_kubernetes_object}


@pytest.mark.parametrize(
    ("adopt", "allow_data_loss", "protected"),
    [(True, True, True), (True, False, True), (False, True, False), (False, False, True)],
    ids=["adopted-allowing-loss", "adopted", "new-allowing-loss", "new"],
)
def test_import_option_and_protection(
    tmp_path: Path, adopt: bool, allow_data_loss: bool, protected: bool
) -> None:
    fleet = {
        "defaults": {"namespace": "ns"},
        "disks": {
            "data": {
                "size": "1Gi",
                "source": {"blank": {}},
                "adopt": adopt,
                "allow_data_loss": allow_data_loss,
            }
        },
        "vms": {
            "web": {
                "memory": "1Gi",
                "adopt": adopt,
                "disks": ["data"],
                "cloud_init": {"user_data": "#cloud-config\n"},
                "service": {"ports": [{"name": "ssh", "port": 22}]},
            }
        },
    }
    resources = render(tmp_path, fleet)
    expected = {"VirtualMachine/ns/web", "Service/ns/web", "DataVolume/ns/data"}
    for key, resource in resources.items():
        kind, name = key.split("/", 1)
        adopted = f"{kind}/ns/{name.rsplit('/', 1)[-1]}" in expected and adopt
        assert resource.options.import_id == (f"ns/{name.rsplit('/', 1)[-1]}" if adopted else ""), key
    (disk,) = [r for k, r in resources.items() if k.startswith("DataVolume/")]
    assert disk.options.protect is protected
    (secret,) = [r for k, r in resources.items() if k.startswith("Secret/")]
    assert secret.options.import_id == ""  # the cloud-init Secret we write is new: created, never imported
