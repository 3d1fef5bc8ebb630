"""Staged seat-client upgrade policy (server/versions.py): parsing, groups, verdicts and Chinese messages."""

from __future__ import annotations

import re
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from server.versions import (
    DEFAULT_GROUP,
    GroupPolicy,
    VersionFormatError,
    VersionPolicy,
    VersionStatus,
    decide,
    parse_version,
)

POLICY_TOML = """
[default]
recommended = "0.2.0"
minimum = "0.1.0"

[groups.pilot]
recommended = "0.3.0rc1"
minimum = "0.2.0"

[groups.wave1]
recommended = "0.2.5"

[seat_groups]
"1001" = "pilot"
"20*" = "wave1"
"2001" = "pilot"
"""


@pytest.fixture
def policy() -> VersionPolicy:
    return VersionPolicy.from_mapping(tomllib.loads(POLICY_TOML))


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0.1.0", "0.1.1"),
        ("0.9.9", "0.10.0"),
        ("1.2.0rc1", "1.2.0"),
        ("1.2.0.dev3", "1.2.0a1"),
        ("1.2.0a2", "1.2.0b1"),
        ("1.2.0b1", "1.2.0rc1"),
        ("1.2.0-rc.1", "1.2.0-rc.2"),
        ("1.2", "1.2.1"),
    ],
)
def test_version_order(older: str, newer: str) -> None:
    assert parse_version(older) < parse_version(newer)


def test_trailing_zeros_and_prefix_do_not_matter() -> None:
    assert parse_version("1.2") == parse_version("1.2.0") == parse_version("v1.2.0.0")


@pytest.mark.parametrize("bad", ["", "abc", "1..2", "1.2.x", "1.2.0-beta", "latest"])
def test_bad_versions_are_refused(bad: str) -> None:
    with pytest.raises(VersionFormatError, match="无法识别的版本号"):
        parse_version(bad)


@given(st.lists(st.integers(0, 50), min_size=1, max_size=4), st.lists(st.integers(0, 50), min_size=1, max_size=4))
def test_order_matches_integer_tuples(a: list[int], b: list[int]) -> None:
    def padded(v: list[int]) -> list[int]:
        return v + [0] * (4 - len(v))

    ka, kb = parse_version(".".join(map(str, a))), parse_version(".".join(map(str, b)))
    assert (ka < kb) == (padded(a) < padded(b))
    assert (ka == kb) == (padded(a) == padded(b))


def test_groups_by_exact_id_then_pattern(policy: VersionPolicy) -> None:
    assert policy.group_of("1001") == "pilot"
    assert policy.group_of("2001") == "pilot"  # exact id wins over the earlier pattern "20*"
    assert policy.group_of("2002") == "wave1"
    assert policy.group_of("3001") == DEFAULT_GROUP


def test_default_group_verdicts(policy: VersionPolicy) -> None:
    assert decide(policy, "3001", "0.2.0").status == VersionStatus.OK
    assert decide(policy, "3001", "0.2.1").status == VersionStatus.OK
    upgrade = decide(policy, "3001", "0.1.5")
    assert upgrade.status == VersionStatus.UPGRADE_AVAILABLE
    assert upgrade.may_take_calls
    assert "0.2.0" in upgrade.message and "0.1.5" in upgrade.message and "升级" in upgrade.message
    below = decide(policy, "3001", "0.0.9")
    assert below.status == VersionStatus.BELOW_MINIMUM
    assert not below.may_take_calls
    assert "低于最低要求 0.1.0" in below.message and "不能接听来电" in below.message


def test_pilot_group_gets_the_release_candidate_first(policy: VersionPolicy) -> None:
    # 0.2.0 is fine for everyone else but only "upgrade available" for the pilot group
    assert decide(policy, "3001", "0.2.0").status == VersionStatus.OK
    pilot = decide(policy, "1001", "0.2.0")
    assert (pilot.status, pilot.group, pilot.recommended) == (VersionStatus.UPGRADE_AVAILABLE, "pilot", "0.3.0rc1")
    assert decide(policy, "1001", "0.3.0rc1").status == VersionStatus.OK
    assert decide(policy, "1001", "0.3.0").status == VersionStatus.OK
    # the pilot group's minimum is stricter
    assert decide(policy, "1001", "0.1.9").status == VersionStatus.BELOW_MINIMUM


def test_group_without_minimum_never_blocks(policy: VersionPolicy) -> None:
    decision = decide(policy, "2002", "0.0.1")
    assert decision.status == VersionStatus.UPGRADE_AVAILABLE
    assert decision.may_take_calls


@pytest.mark.parametrize("reported", [None, "", "garbage"])
def test_unknown_client_version_is_treated_as_oldest(policy: VersionPolicy, reported: str | None) -> None:
    decision = decide(policy, "3001", reported)
    assert decision.status == VersionStatus.BELOW_MINIMUM
    assert "未知" in decision.message or "garbage" in decision.message
    assert decide(policy, "2002", reported).status == VersionStatus.UPGRADE_AVAILABLE


def test_empty_policy_accepts_everything() -> None:
    decision = decide(VersionPolicy(), "1001", None)
    assert decision.status == VersionStatus.OK
    assert decision.message == ""


def test_to_wire_shape(policy: VersionPolicy) -> None:
    wire = decide(policy, "1001", "0.2.0").to_wire()
    assert wire == {
        "status": "upgrade_available",
        "recommended": "0.3.0rc1",
        "minimum": "0.2.0",
        "message": decide(policy, "1001", "0.2.0").message,
    }


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValidationError, match=re.escape("最低版本 0.3.0 高于推荐版本 0.2.0")):
        GroupPolicy(recommended="0.2.0", minimum="0.3.0")
    with pytest.raises(ValidationError, match="无法识别的版本号"):
        GroupPolicy(recommended="new")
    with pytest.raises(ValidationError, match="未定义的分组:ghost"):
        VersionPolicy(seat_groups={"1001": "ghost"})
    with pytest.raises(ValidationError):
        VersionPolicy.from_mapping({"default": {"recommended": "0.1.0", "maximum": "9"}})
