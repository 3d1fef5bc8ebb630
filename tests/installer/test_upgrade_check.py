"""Client-side version gate (seat_client/upgrade.py) and its agreement with the server's policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seat_client.upgrade import (
    CallBlockedError,
    UpgradeCheck,
    UpgradeStatus,
    check_upgrade,
    ensure_call_allowed,
    version_key,
)
from server.versions import GroupPolicy, VersionPolicy, VersionStatus, decide, parse_version


def test_no_gating_info_means_up_to_date() -> None:
    check = check_upgrade(None, current="0.1.0")
    assert check.status == UpgradeStatus.OK
    assert check.may_start_call
    assert check.notice is None
    ensure_call_allowed(check)


def test_upgrade_available_is_shown_but_calls_go_on() -> None:
    info = {"status": "upgrade_available", "recommended": "0.2.0", "minimum": "0.1.0", "message": "服务器的提示"}
    check = check_upgrade(info, current="0.1.0")
    assert check.status == UpgradeStatus.UPGRADE_AVAILABLE
    assert check.notice == "服务器的提示"
    ensure_call_allowed(check)


def test_below_minimum_blocks_calls_with_a_chinese_message() -> None:
    info = {"status": "below_minimum", "recommended": "0.3.0", "minimum": "0.2.0", "message": ""}
    check = check_upgrade(info, current="0.1.0")
    assert not check.may_start_call
    assert "低于最低要求 0.2.0" in check.message and "0.3.0" in check.message
    with pytest.raises(CallBlockedError) as err:
        ensure_call_allowed(check)
    assert err.value.message == check.message


def test_client_keeps_the_stricter_verdict() -> None:
    # an older server that only sends the versions (status "ok"): the client still notices it is too old
    check = check_upgrade({"status": "ok", "recommended": "0.3.0", "minimum": "0.2.0"}, current="0.1.0")
    assert check.status == UpgradeStatus.BELOW_MINIMUM
    assert "0.2.0" in check.message
    # the server knows better than the versions suggest (e.g. a revoked build): its verdict stands
    check = check_upgrade({"status": "below_minimum", "message": "此版本已停用"}, current="9.9.9")
    assert (check.status, check.message) == (UpgradeStatus.BELOW_MINIMUM, "此版本已停用")


def test_unknown_status_or_bad_versions_do_not_block() -> None:
    check = check_upgrade({"status": "something_new", "recommended": "not-a-version"}, current="0.1.0")
    assert check.status == UpgradeStatus.OK
    ensure_call_allowed(check)
    ensure_call_allowed(None)


def test_up_to_date_client_has_no_notice() -> None:
    check = check_upgrade({"status": "ok", "recommended": "0.1.0", "minimum": "0.1.0"}, current="0.1.0")
    assert check == UpgradeCheck(UpgradeStatus.OK, "0.1.0", "0.1.0", "0.1.0", "")


_versions = st.builds(
    lambda nums, pre: ".".join(map(str, nums)) + pre,
    st.lists(st.integers(0, 12), min_size=1, max_size=3),
    st.sampled_from(["", "rc1", "rc2", "a1", "b3", ".dev1"]),
)


@given(_versions, _versions)
def test_client_and_server_order_versions_alike(a: str, b: str) -> None:
    ka, kb = version_key(a), version_key(b)
    assert ka is not None and kb is not None
    assert (ka < kb) == (parse_version(a) < parse_version(b))
    assert (ka == kb) == (parse_version(a) == parse_version(b))


@given(current=_versions, low=_versions, high=_versions)
def test_client_reaches_the_server_verdict_from_the_versions_alone(current: str, low: str, high: str) -> None:
    minimum, recommended = sorted([low, high], key=parse_version)
    policy = VersionPolicy(default=GroupPolicy(recommended=recommended, minimum=minimum))
    server = decide(policy, "1001", current)
    # the client is given the versions but a neutral status: it must derive the same verdict
    client = check_upgrade({"status": "ok", "recommended": recommended, "minimum": minimum}, current=current)
    assert client.status.value == server.status.value
    assert client.may_start_call == server.may_take_calls
    assert (server.status == VersionStatus.OK) == (client.notice is None)
