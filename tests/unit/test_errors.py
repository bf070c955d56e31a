"""The one error shape: a title, then a line per problem in full sentences (what, why, fix) with its path."""

from __future__ import annotations

import pytest

from pulumi_kubevirt.core.errors import Problem, UserError, ValidationError, sentence


@pytest.mark.parametrize(
    ("text", "capital", "expected"),
    [
        pytest.param("write 4Gi or 4G", True, "Write 4Gi or 4G.", id="capitalised-and-closed"),
        pytest.param("Already a sentence.", True, "Already a sentence.", id="kept"),
        pytest.param("--kubeconfig is missing", True, "--kubeconfig is missing.", id="flag-kept"),
        pytest.param("spec.running is deprecated", True, "spec.running is deprecated.", id="path-kept"),
        pytest.param("kubectl works", True, "Kubectl works.", id="plain-word"),
        pytest.param("the file is gone", False, "the file is gone.", id="continues-a-path"),
        pytest.param("trailing colon:", True, "Trailing colon.", id="dangling-punctuation"),
        pytest.param("  ", True, "", id="empty"),
    ],
)
def test_sentence(text: str, capital: bool, expected: str) -> None:
    assert sentence(text, capital=capital) == expected


def test_a_problem_reads_what_then_why_then_fix() -> None:
    problem = Problem(
        "--kubeconfig /tmp/k", "the file does not exist", "pass an existing file", "kvplan reads it"
    )

    assert problem.line() == (
        "--kubeconfig /tmp/k: the file does not exist. Kvplan reads it. Pass an existing file."
    )
    assert Problem("", "the server answered 500", "try again").line() == "The server answered 500. Try again."


def test_the_positional_constructor_of_problem_is_unchanged() -> None:
    problem = Problem("fleet.vms.web.memory", "is required", "add memory: 2Gi")

    assert (problem.path, problem.message, problem.fix, problem.why) == (
        "fleet.vms.web.memory",
        "is required",
        "add memory: 2Gi",
        "",
    )


def test_one_problem_has_no_count_and_several_are_counted() -> None:
    one = UserError("Kubeconfig not found.", [Problem("KUBECONFIG", "lists no file", "set it")])
    two = UserError("Bad input", [Problem("b", "wrong", "fix b"), Problem("a", "wrong", "fix a")])

    assert str(one) == "Kubeconfig not found:\n  - KUBECONFIG: lists no file. Set it."
    assert str(two).splitlines() == [
        "Bad input (2 problems):",
        "  - b: wrong. Fix b.",
        "  - a: wrong. Fix a.",
    ]


def test_validation_errors_sort_by_path_and_drop_duplicates() -> None:
    repeated = Problem("b", "wrong", "fix b")

    error = ValidationError([repeated, Problem("a", "wrong", "fix a"), repeated], "Bad fleet")

    assert isinstance(error, UserError)
    assert [p.path for p in error.problems] == ["a", "b"]
    assert str(error).startswith("Bad fleet (2 problems):\n  - a: wrong. Fix a.\n")
