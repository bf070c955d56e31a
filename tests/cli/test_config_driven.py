"""A config-driven stack compiles without the Pulumi runtime, to exactly what the components register.

``kvplan`` compiles an unmodified fleet program's stack straight from config (``desired_state_of_stack``); the
components under Pulumi's mock runtime (``runtime=True``) are the reference. They must agree byte for byte on
every stack of this repository, on generated fleets, with and without secret config, and in their errors.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_kubevirt.program.desired import DesiredStateError, desired_state_of_stack, is_fleet_program

REPO = Path(__file__).resolve().parents[2]
FLEET_PROGRAM = REPO / "programs" / "fleet" / "__main__.py"


def both_paths(program_dir: Path, stack: str) -> tuple[Any, Any]:
    """(compiled from config, run under the mock runtime): each a DesiredState or the error message."""
    out: list[Any] = []
    for runtime in (False, True):
        try:
            out.append(desired_state_of_stack(program_dir, stack, runtime=runtime))
        except DesiredStateError as error:
            out.append(str(error))
    return out[0], out[1]


def write_project(directory: Path, config: dict[str, Any], program: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "fleet").mkdir(exist_ok=True)
    (directory / "fleet" / "__main__.py").write_text(
        program if program is not None else FLEET_PROGRAM.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (directory / "Pulumi.yaml").write_text("name: estate\nruntime: python\nmain: fleet\n", encoding="utf-8")
    (directory / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return directory


def assert_same(fast: Any, runtime: Any) -> None:
    if isinstance(runtime, str):
        assert fast == runtime
        return
    assert not isinstance(fast, str), fast
    assert fast.resources == (), "the config-driven path was not taken"
    assert runtime.resources, "the runtime path recorded no resources"
    assert fast.manifests == runtime.manifests
    assert fast.to_yaml() == runtime.to_yaml()


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_of_the_repository_compiles_to_what_the_components_register(stack: str) -> None:
    fast, runtime = both_paths(REPO, stack)
    assert_same(fast, runtime)
    assert len(fast.manifests) > 5


def test_secret_cloud_init_config_is_read_the_same_way(tmp_path: Path) -> None:
    config = {
        "kubevirt:fleet": {
            "namespaces": ["apps"],
            "vms": {"web": {"namespace": "apps", "cpu": {"vcpus": 1}, "memory": "1Gi"}},
        },
        "kubevirt:cloudInitUserData_web": {"secure": "AAABAHwoKWQhJT6I0K3OKX+wp4T6kEMV6s5x"},
        "kubevirt:cloudInitNetworkData_web": "version: 2\nethernets: {}\n",
    }
    fast, runtime = both_paths(write_project(tmp_path, config), "test")
    assert_same(fast, runtime)
    secret = next(m for m in fast.manifests if m["kind"] == "Secret")
    assert secret["stringData"]["networkdata"] == "version: 2\nethernets: {}\n"
    assert "AAABAHwoKWQ" not in fast.to_yaml()


def test_a_value_set_twice_is_the_same_error_on_both_paths(tmp_path: Path) -> None:
    config = {
        "kubevirt:fleet": {
            "namespaces": ["apps"],
            "vms": {
                "web": {
                    "namespace": "apps",
                    "cpu": {"vcpus": 1},
                    "memory": "1Gi",
                    "cloud_init": {"user_data": "#cloud-config\n"},
                }
            },
        },
        "kubevirt:cloudInitUserData_web": "#cloud-config\nhostname: web\n",
    }
    fast, runtime = both_paths(write_project(tmp_path, config), "test")
    assert isinstance(fast, str)
    assert "fleet.vms.web.cloud_init.user_data" in fast
    assert fast == runtime


@pytest.mark.parametrize(
    ("program", "recognised"),
    [
        pytest.param(FLEET_PROGRAM.read_text(encoding="utf-8"), True, id="the-repository-program"),
        pytest.param(
            "from pulumi_kubevirt.components.fleet_program import run_fleet_program\nrun_fleet_program()\n",
            True,
            id="without-docstring",
        ),
        pytest.param(
            "from pulumi_kubevirt.components.fleet_program import run_fleet_program\n"
            "import pulumi\nrun_fleet_program()\npulumi.export('extra', 1)\n",
            False,
            id="with-an-extra-export",
        ),
        pytest.param(
            "from pulumi_kubevirt.components.fleet_program import run_fleet_program as go\ngo()\n",
            False,
            id="aliased",
        ),
        pytest.param(
            "from pulumi_kubevirt.components.fleet_program import run_fleet_program\nrun_fleet_program(1)\n",
            False,
            id="called-with-arguments",
        ),
        pytest.param("def broken(:\n", False, id="syntax-error"),
        pytest.param(
            "import pulumi\nfrom pulumi_kubevirt.components import Fleet, fleet_from_config\n"
            "Fleet('fleet', fleet_from_config(pulumi.Config('kubevirt')))\n",
            False,
            id="hand-written-fleet",
        ),
    ],
)
def test_only_an_unmodified_fleet_program_is_compiled_from_config(
    tmp_path: Path, program: str, recognised: bool
) -> None:
    main = tmp_path / "__main__.py"
    main.write_text(program, encoding="utf-8")
    assert is_fleet_program(tmp_path) is recognised
    assert is_fleet_program(main) is recognised


def test_a_modified_fleet_program_runs_under_the_runtime(tmp_path: Path) -> None:
    program = FLEET_PROGRAM.read_text(encoding="utf-8") + "\nimport pulumi\n\npulumi.export('extra', 1)\n"
    config = {"kubevirt:fleet": {"namespaces": ["apps"]}}
    result = desired_state_of_stack(write_project(tmp_path, config, program), "test")
    assert result.resources, "a modified program must run, not be compiled from config"
    assert result.outputs["extra"] == 1


QUANTITIES = st.sampled_from(["1Gi", "2Gi", "512Mi", "4096Mi", "3G", "10Gi", "1.5Gi", "bad"])
NAMES = st.sampled_from(["web", "db", "cache", "api-1", "Bad_Name"])
NAMESPACES = st.sampled_from(["apps", "data"])


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, Any]:
    """Fleet configs, mostly valid, sometimes not (an invalid one must fail the same way on both paths)."""
    disks = {
        name: {
            "namespace": draw(NAMESPACES),
            "size": draw(QUANTITIES),
            "source": draw(
                st.sampled_from(
                    [
                        {"blank": {}},
                        {"http": "https://images.example.com/disk.qcow2"},
                        {"registry": "docker://x/y:1"},
                    ]
                )
            ),
            **draw(st.sampled_from([{}, {"allow_data_loss": True}, {"storage_class": "fast"}])),
        }
        for name in draw(st.sets(st.sampled_from(["data-a", "data-b"]), max_size=2))
    }
    vms: dict[str, Any] = {}
    for name in draw(st.sets(NAMES, min_size=1, max_size=3)):
        namespace = draw(NAMESPACES)
        vm: dict[str, Any] = {
            "namespace": namespace,
            "cpu": draw(
                st.sampled_from([{"vcpus": 1}, {"vcpus": 2, "max_sockets": 8}, {"sockets": 1, "cores": 2}])
            ),
            "memory": draw(st.one_of(QUANTITIES, st.builds(lambda q: {"guest": q}, QUANTITIES))),
        }
        if draw(st.booleans()):
            vm["root_disk"] = {
                "image": {"registry": "docker://quay.io/containerdisks/fedora:40"},
                "size": "20Gi",
            }
        if draw(st.booleans()):
            vm["cloud_init"] = {"user_data": f"#cloud-config\nhostname: {name}\n"}
        if draw(st.booleans()):
            vm["service"] = {"ports": [{"name": "ssh", "port": 22}]}
        usable = sorted(d for d, spec in disks.items() if spec["namespace"] == namespace)
        if usable and draw(st.booleans()):
            vm["disks"] = [{"disk": usable[0]}]
        if draw(st.booleans()):
            vm["run_strategy"] = draw(st.sampled_from(["Always", "Halted", "Manual"]))
        vms[name] = vm
    return {"namespaces": ["apps", "data"], "disks": disks, "vms": vms}


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(fleet=fleets())
def test_generated_fleets_compile_to_what_the_components_register(
    tmp_path: Path, fleet: dict[str, Any]
) -> None:
    project = tmp_path / "project"
    shutil.rmtree(project, ignore_errors=True)
    fast, runtime = both_paths(write_project(project, {"kubevirt:fleet": fleet}), "test")
    assert_same(fast, runtime)


def test_a_fleet_without_vms_is_the_same_on_both_paths(tmp_path: Path) -> None:
    fast, runtime = both_paths(write_project(tmp_path, {"kubevirt:fleet": {"namespaces": ["apps"]}}), "test")
    assert_same(fast, runtime)
    assert [m["kind"] for m in fast.manifests] == ["Namespace"]


def test_a_stack_without_fleet_config_runs_the_program_and_reports_it(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"kubevirt:other": "x"})
    with pytest.raises(DesiredStateError) as raised:
        desired_state_of_stack(project, "test")
    assert "kubevirt:fleet" in str(raised.value)
    assert json.dumps(str(raised.value))
    assert textwrap.dedent(str(raised.value)).strip()
