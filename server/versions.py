"""Staged seat-client upgrades (灰度升级): the recommended and minimum client version per seat group, and the verdict.

Pure policy, no I/O: the server decides at login (``LoginRequest.client_version``) whether the seat's client is
``ok``, has an ``upgrade_available`` (the teller is told, work goes on) or is ``below_minimum`` (the seat may sign in
and read the message but must not take calls: the server refuses its ``set_state ready``). Staged rollout: a new
version is first recommended to a pilot group (试点组), then to later waves, then to everyone (``default``), by
editing this policy; seats are put in groups by seat id or by a shell-style pattern (``"10*"``).

Example settings (TOML)::

    [client_versions.default]
    recommended = "0.1.0"
    minimum = "0.1.0"

    [client_versions.groups.pilot]
    recommended = "0.2.0"
    minimum = "0.1.0"

    [client_versions.seat_groups]
    "1001" = "pilot"
    "20*" = "pilot"
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_GROUP = "default"

_VERSION_RE = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-.]?(dev|a|b|rc)\.?(\d+))?$", re.IGNORECASE)
_PRE_RANK = {"dev": 0, "a": 1, "b": 2, "rc": 3}
_FINAL = 4


class VersionStatus(StrEnum):
    """Verdict on a seat client's version."""

    OK = "ok"
    UPGRADE_AVAILABLE = "upgrade_available"
    BELOW_MINIMUM = "below_minimum"


class VersionFormatError(ValueError):
    """A version string that is not ``N[.N...]`` with an optional ``devN``/``aN``/``bN``/``rcN`` suffix."""


def parse_version(text: str) -> tuple[tuple[int, ...], int, int]:
    """Sortable key of a version: release numbers (trailing zeros dropped), pre-release rank and number.

    ``1.2`` == ``1.2.0``; ``1.2.0rc1`` < ``1.2.0``; ``1.2.0.dev3`` < ``1.2.0a1``.

    Raises:
        VersionFormatError: not a version.
    """
    match = _VERSION_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise VersionFormatError(f"无法识别的版本号:{text!r}")
    release = [int(p) for p in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = match.group(2)
    if pre is None:
        return tuple(release), _FINAL, 0
    return tuple(release), _PRE_RANK[pre.lower()], int(match.group(3))


def _check_version(value: str | None) -> str | None:
    if value is not None:
        parse_version(value)
    return value


class GroupPolicy(BaseModel):
    """Versions for one seat group.

    Attributes:
        recommended: the version seats in this group should run; older ones get ``upgrade_available``.
        minimum: the oldest version allowed to take calls; older ones get ``below_minimum``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    recommended: str | None = None
    minimum: str | None = None

    @field_validator("recommended", "minimum")
    @classmethod
    def _valid_version(cls, value: str | None) -> str | None:
        return _check_version(value)

    @model_validator(mode="after")
    def _minimum_not_above_recommended(self) -> GroupPolicy:
        if self.recommended and self.minimum and parse_version(self.minimum) > parse_version(self.recommended):
            raise ValueError(f"最低版本 {self.minimum} 高于推荐版本 {self.recommended}")
        return self


class VersionPolicy(BaseModel):
    """The whole upgrade policy.

    Attributes:
        default: versions for seats in no group (the last wave of a rollout).
        groups: staged groups (灰度分组), e.g. ``pilot``; a group absent here falls back to ``default``.
        seat_groups: seat id or shell pattern -> group; exact ids win over patterns, patterns match in order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: GroupPolicy = Field(default_factory=GroupPolicy)
    groups: dict[str, GroupPolicy] = Field(default_factory=dict)
    seat_groups: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups_exist(self) -> VersionPolicy:
        unknown = sorted({g for g in self.seat_groups.values() if g not in self.groups and g != DEFAULT_GROUP})
        if unknown:
            raise ValueError(f"seat_groups 引用了未定义的分组:{', '.join(unknown)}")
        return self

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> VersionPolicy:
        """Build from a settings mapping (e.g. the ``[client_versions]`` TOML table); None means no policy."""
        return cls.model_validate(data or {})

    def group_of(self, seat_id: str) -> str:
        """The group a seat belongs to (``default`` when none matches)."""
        if seat_id in self.seat_groups:
            return self.seat_groups[seat_id]
        for pattern, group in self.seat_groups.items():
            if any(ch in pattern for ch in "*?[") and fnmatch.fnmatchcase(seat_id, pattern):
                return group
        return DEFAULT_GROUP

    def for_seat(self, seat_id: str) -> tuple[str, GroupPolicy]:
        """The seat's group and its versions."""
        group = self.group_of(seat_id)
        return group, self.groups.get(group, self.default)


@dataclass(frozen=True)
class VersionDecision:
    """What the server tells a seat about its client version at login.

    Attributes:
        status: ok / upgrade_available / below_minimum.
        client_version: what the client reported (None when it did not say).
        recommended: the group's recommended version.
        minimum: the group's minimum version.
        group: the seat's staged group.
        message: Chinese text for the teller ("" when there is nothing to say).
    """

    status: VersionStatus
    client_version: str | None
    recommended: str | None
    minimum: str | None
    group: str
    message: str

    @property
    def may_take_calls(self) -> bool:
        """False below the minimum: the server refuses ``set_state ready``."""
        return self.status != VersionStatus.BELOW_MINIMUM

    def to_wire(self) -> dict[str, str | None]:
        """JSON-ready fields for the login response (``client_version_status``)."""
        return {
            "status": self.status.value,
            "recommended": self.recommended,
            "minimum": self.minimum,
            "message": self.message,
        }


def decide(policy: VersionPolicy, seat_id: str, client_version: str | None) -> VersionDecision:
    """The verdict for one seat's client.

    A client that does not report a version, or reports one that cannot be parsed, is treated as older than
    anything: below the minimum when the group has one, else ``upgrade_available`` when a version is recommended.

    Args:
        policy: the upgrade policy.
        seat_id: the seat signing in (decides the staged group).
        client_version: ``LoginRequest.client_version``.
    """
    group, versions = policy.for_seat(seat_id)
    shown = client_version or "未知"
    try:
        current = parse_version(client_version) if client_version else None
    except VersionFormatError:
        current = None
    target = versions.recommended or versions.minimum
    if versions.minimum and (current is None or current < parse_version(versions.minimum)):
        return VersionDecision(
            VersionStatus.BELOW_MINIMUM,
            client_version,
            versions.recommended,
            versions.minimum,
            group,
            f"坐席客户端版本 {shown} 低于最低要求 {versions.minimum},不能接听来电。"
            f"请联系运维升级到 {target} 后重新签入。",
        )
    if versions.recommended and (current is None or current < parse_version(versions.recommended)):
        return VersionDecision(
            VersionStatus.UPGRADE_AVAILABLE,
            client_version,
            versions.recommended,
            versions.minimum,
            group,
            f"坐席客户端有新版本 {versions.recommended} 可用(当前 {shown}),请在空闲时联系运维升级。",
        )
    return VersionDecision(VersionStatus.OK, client_version, versions.recommended, versions.minimum, group, "")
