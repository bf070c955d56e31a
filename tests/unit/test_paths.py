"""The one path syntax: parsing reads back what formatting wrote, and ``join`` appends as formatting would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_kubevirt.core.paths import Index, Key, Named, Segment, format_path, join, parse_path

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
KEYS = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True), TEXT)
SEGMENTS: st.SearchStrategy[Segment] = st.one_of(
    st.builds(Key, KEYS),
    st.builds(Index, st.integers(min_value=0, max_value=999)),
    st.builds(Named, TEXT, st.sampled_from(["name", "type"])),
)


@settings(max_examples=150, derandomize=True)
@given(st.lists(SEGMENTS, min_size=1, max_size=6))
def test_parse_reads_back_what_format_wrote(segments: list[Segment]) -> None:
    assert parse_path(format_path(segments)) == tuple(segments)


@settings(max_examples=150, derandomize=True)
@given(
    st.lists(SEGMENTS, max_size=5),
    st.lists(st.one_of(KEYS, st.integers(min_value=0, max_value=99)), max_size=4),
)
def test_join_appends_as_formatting_the_whole_path_would(base: list[Segment], parts: list[str | int]) -> None:
    appended = [Index(p) if isinstance(p, int) else Key(p) for p in parts]
    assert join(format_path(base), *parts) == format_path([*base, *appended])


def test_examples_in_the_one_syntax() -> None:
    assert join("fleet.vms", "web", "disks", 1, "size") == "fleet.vms.web.disks[1].size"
    assert (
        join("", "metadata", "labels", "app.kubernetes.io/name")
        == 'metadata.labels["app.kubernetes.io/name"]'
    )
    assert format_path([Key("spec"), Key("disks"), Named("root")]) == "spec.disks[name=root]"
