"""One typed settings schema for the server, loaded from a TOML file and ``VT_*`` environment variables."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from server.db import SEAT_ROLES
from server.versions import VersionPolicy

if TYPE_CHECKING:
    from server.identity.gates import GateConfig

logger = logging.getLogger(__name__)

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
"""The secret used in dev mode when none is configured; refused outside dev mode."""

MIN_SECRET_LENGTH = 32
_PLACEHOLDER_SECRETS = frozenset(
    {
        DEV_SECRET_KEY,
        "",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "secret",
        "secret-key",
        "dev",
        "development",
        "test",
        "password",
        "please-change-me",
    }
)


class SettingsError(ValueError):
    """Settings that cannot be used; the message says what to fix."""


class SeedSeat(BaseModel):
    """A seat account (坐席账号) created at start in dev mode so the system can be tried without setup."""

    model_config = ConfigDict(extra="forbid")

    seat_id: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: str = Field(default="teller", description="one of server.db.SEAT_ROLES (auditor: 稽核, takes no calls)")
    skills: list[str] | None = Field(
        default=None, description='技能组 "queue[:proficiency[:primary|backup|expert]]"; None: every queue, primary'
    )

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in SEAT_ROLES:
            raise ValueError(f"unknown seat role {role!r} (expected one of {', '.join(SEAT_ROLES)})")
        return role


def _default_dev_seats() -> list[SeedSeat]:
    return [SeedSeat(seat_id="demo", display_name="演示坐席", password="demo123", role="supervisor")]


class Settings(BaseModel):
    """Server settings.

    Attributes:
        data_dir: directory holding the SQLite database (``videoteller.db``); created if missing.
        host: address uvicorn binds to.
        port: TCP port uvicorn listens on.
        dev_mode: allows the dev secret and creates ``dev_seed_seats``; never enable in production.
        secret_key: server secret (at least 32 characters outside dev mode); reserved for signing and key derivation.
        ring_timeout_s: how long an offered call rings at a seat before it goes to the next one (振铃超时).
        token_lifetime_s: lifetime of a seat's bearer token.
        customer_grace_s: how long a waiting customer whose page lost its connection keeps their place.
        ws_max_size_bytes: largest WebSocket frame the transport accepts at all; bigger ones close the connection.
            Messages above ``wire.MAX_MESSAGE_BYTES`` but below this get an error reply and the connection survives.
        ws_ping_interval_s: how often the server pings each WebSocket; with ``ws_ping_timeout_s`` this bounds how
            long a phone that silently lost its network still counts as connected.
        ws_ping_timeout_s: how long a ping may go unanswered before the connection is dropped.
        dev_seed_seats: seat accounts created (or reset) at start, only in dev mode.
        log_level: logging level name for ``python -m server``.
        password_hash_profile: ``standard`` argon2id parameters, or ``dev_fast`` (cheap, for test suites; refused
            outside dev mode).
        login_max_failures: wrong passwords per seat id within ``login_lockout_s`` before logins are refused (429).
        login_lockout_s: the window (and longest lockout) for ``login_max_failures``.
        tickets_per_minute_per_client: tickets one client address may take per minute (0: no limit); None means
            10 outside dev mode and no limit in dev mode (tests and demos take many tickets from one address).
        queue_impl: ``routing`` (the routing engine, 排队机: skills, star levels, overflow) or ``fifo``.
        routing_config_path: the routing TOML (queues, weights, overflow chains); None: the bundled
            ``resources/routing/queues.toml``. A configuration saved through the admin API takes precedence.
        wrap_up_s: after-call work length (话后处理); None: the routing queue's ``wrap_up_s`` (30 s for fifo).
        after_wrap_up: ``ready``: the seat is ready again when wrap-up ends; ``stay``: it stays in wrap-up until the
            teller sets a state.
        bank_adapter: bank adapter set (``sandbox``, ``http`` or ``"package.module:factory"``, see
            docs/bank-adapters.md).
        bank_options: options for the adapter set; for ``sandbox`` ``data_dir`` defaults to ``<data_dir>/sandbox_bank``
            and ``latency_s`` to 0.02.
        bank_timeout_s: longest wait for one bank call (联网核查 included) before it counts as a timeout.
        gates: identity-gate configuration table for ``GateConfig.from_mapping`` (``default`` and ``businesses``).
        face_threshold: minimum similarity of each face pair; overrides ``gates`` for every business when set.
        precheck_ttl_s: how long a passed pre-check (受理前核验) may be used to take a ticket.
        capture_timeout_s: how long the server waits for the customer's page to send a requested camera frame.
        id_image_max_bytes: largest accepted ID-card photo (each side).
        client_versions: staged seat-client upgrades (灰度升级, TOML table ``[client_versions]``, see
            ``server/versions.py``): recommended and minimum client version per seat group; a seat below the
            minimum signs in but may not go ready.
        recording_playback_cache_mb: bound (MiB) of the 点播 fragment cache (``server.recordings.playback``): remuxed
            segment fragments kept for range requests, least recently used dropped first; a 10 s 720p segment is
            about 6 MB, so the default 64 keeps about ten. Memory stays bounded whatever the number of viewers.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    dev_mode: bool = False
    secret_key: str = ""
    ring_timeout_s: float = Field(default=20.0, gt=0, le=600)
    token_lifetime_s: float = Field(default=12 * 3600.0, gt=0)
    customer_grace_s: float = Field(default=30.0, gt=0, le=3600)
    ws_max_size_bytes: int = Field(default=256 * 1024, ge=64 * 1024, le=16 * 1024 * 1024)
    ws_ping_interval_s: float = Field(default=10.0, gt=0, le=300)
    ws_ping_timeout_s: float = Field(default=10.0, gt=0, le=300)
    dev_seed_seats: list[SeedSeat] = Field(default_factory=_default_dev_seats)
    log_level: str = "INFO"
    password_hash_profile: Literal["standard", "dev_fast"] = "standard"
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_lockout_s: float = Field(default=300.0, gt=0)
    tickets_per_minute_per_client: int | None = Field(default=None, ge=0)
    queue_impl: Literal["routing", "fifo"] = "routing"
    routing_config_path: Path | None = None
    wrap_up_s: float | None = Field(default=None, ge=0, le=3600)
    after_wrap_up: Literal["ready", "stay"] = "ready"
    bank_adapter: str = Field(default="sandbox", min_length=1)
    bank_options: dict[str, Any] = Field(default_factory=dict)
    bank_timeout_s: float = Field(default=5.0, gt=0, le=120)
    gates: dict[str, Any] = Field(default_factory=dict)
    face_threshold: float | None = Field(default=None, gt=0, le=1)
    precheck_ttl_s: float = Field(default=900.0, gt=0)
    capture_timeout_s: float = Field(default=10.0, gt=0, le=120)
    id_image_max_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024, le=32 * 1024 * 1024)
    client_versions: VersionPolicy = Field(default_factory=VersionPolicy)
    recording_playback_cache_mb: int = Field(default=64, ge=8, le=65536)

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.password_hash_profile != "standard" and not self.dev_mode:
            raise ValueError("password_hash_profile 'dev_fast' is only allowed in dev mode")
        if self.dev_mode:
            if not self.secret_key:
                # validate_assignment would re-run this validator; set the field directly.
                object.__setattr__(self, "secret_key", DEV_SECRET_KEY)
            return self
        secret = self.secret_key.strip()
        if secret.lower() in _PLACEHOLDER_SECRETS or secret == DEV_SECRET_KEY:
            raise ValueError(
                "secret_key is missing or a placeholder: set VT_SECRET_KEY (or secret_key in the config file) to a "
                f"random value of at least {MIN_SECRET_LENGTH} characters, e.g. "
                '`python -c "import secrets; print(secrets.token_urlsafe(32))"`, or run with --dev for development'
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"secret_key is too short ({len(secret)} characters); outside dev mode it must have at least "
                f"{MIN_SECRET_LENGTH} characters"
            )
        return self

    @model_validator(mode="after")
    def _check_gates(self) -> Settings:
        self.gate_config  # noqa: B018 - raises ValueError on a bad [gates] table
        return self

    @property
    def gate_config(self) -> GateConfig:
        """The identity-gate configuration (``gates`` table, then ``face_threshold`` for every business)."""
        from dataclasses import replace

        from server.identity.gates import GateConfig

        config = GateConfig.from_mapping(self.gates)
        if self.face_threshold is None:
            return config
        threshold = self.face_threshold
        return GateConfig(
            default=replace(config.default, face_threshold=threshold),
            per_business={k: replace(v, face_threshold=threshold) for k, v in config.per_business.items()},
        )

    @property
    def ticket_rate_limit(self) -> int:
        """Effective tickets per minute per client address; 0 means unlimited."""
        if self.tickets_per_minute_per_client is not None:
            return self.tickets_per_minute_per_client
        return 0 if self.dev_mode else 10

    @property
    def database_path(self) -> Path:
        """Path of the SQLite database file."""
        return self.data_dir / "videoteller.db"


_ENV_PREFIX = "VT_"
_ENV_FIELDS = {
    "data_dir",
    "host",
    "port",
    "dev_mode",
    "secret_key",
    "ring_timeout_s",
    "token_lifetime_s",
    "customer_grace_s",
    "ws_max_size_bytes",
    "ws_ping_interval_s",
    "ws_ping_timeout_s",
    "log_level",
    "password_hash_profile",
    "login_max_failures",
    "login_lockout_s",
    "tickets_per_minute_per_client",
    "queue_impl",
    "routing_config_path",
    "wrap_up_s",
    "after_wrap_up",
    "bank_adapter",
    "bank_timeout_s",
    "face_threshold",
    "recording_playback_cache_mb",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _ENV_FIELDS:
        key = _ENV_PREFIX + name.upper()
        if key not in environ:
            continue
        raw = environ[key]
        if name == "dev_mode":
            lowered = raw.strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise SettingsError(f"{key}={raw!r} is not a boolean (use 1/0, true/false)")
            values[name] = lowered in _TRUE
        else:
            values[name] = raw
    return values


def load_settings(
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from (lowest to highest priority) defaults, a TOML file, ``VT_*`` variables and overrides.

    Args:
        config_path: optional TOML file whose top-level keys are Settings fields.
        environ: environment to read ``VT_*`` variables from; defaults to ``os.environ``.
        **overrides: explicit values (e.g. from command-line flags); None values are ignored.

    Raises:
        SettingsError: the file cannot be read or the resulting settings are invalid (e.g. a placeholder secret
            outside dev mode).
    """
    values: dict[str, Any] = {}
    if config_path is not None:
        try:
            with config_path.open("rb") as handle:
                values.update(tomllib.load(handle))
        except OSError as exc:
            raise SettingsError(f"cannot read config file {config_path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {config_path} is not valid TOML: {exc}") from exc
    values.update(_env_overrides(os.environ if environ is None else environ))
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
