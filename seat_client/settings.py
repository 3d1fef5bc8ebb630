"""The seat client's settings: one typed schema, persisted as JSON, overridable by env (VT_SEAT_*) and CLI.

Precedence (lowest first): schema defaults < settings file < environment < command line.
The password is never part of the settings and never written to disk.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seat_client import APP_AUTHOR, APP_NAME

logger = logging.getLogger(__name__)

ENV_PREFIX = "VT_SEAT_"
PASSWORD_ENV = "VT_SEAT_PASSWORD"
SETTINGS_FILE_NAME = "seat.json"


class SettingsError(ValueError):
    """Settings that cannot be used; ``message`` is Chinese and shown to the teller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SeatSettings(BaseModel):
    """Everything a seat workstation needs to know before it signs in (签入).

    Attributes:
        server_url: base URL of the coordination server, ``http(s)://host:port``.
        seat_id: the teller's seat id (工号), pre-filled in the login dialog.
        camera: ``auto`` (first device, else the test pattern), ``fake-pattern``, a device index (``"0"``)
            or a video file path.
        camera_fps: frames per second of the teller's own video (sent, previewed and recorded as the inset),
            5-30. 30 by default; 15 roughly halves the CPU the teller's camera costs on a weak seat PC
            (docs/workstation-performance.md).
        face_monitor_hz: live face checks per second on the customer's video during a call (实时人脸: faces in
            the picture and their similarity to the ID portrait, advisory; the gates are the server's), 0-10;
            0 turns the monitor off. 5 by default, about an eighth of a core.
        microphone: ``auto`` (default input, else the test tone), ``fake-tone``, ``none``, ``<format>:<device>``
            for a PyAV input device (``alsa:default``, ``pulse:default``, ``dshow:audio=<name>``) or an audio file.
        language: UI language; ``zh_CN`` is the default.
        ice_bind_addresses: pin the interfaces WebRTC uses, e.g. on multi-homed bank PCs; tests pin
            ``["127.0.0.1"]``. ``None`` means every interface (aioice's default).
        auto_answer: answer offered calls without the teller clicking 接听 (demos and benchmarks only); implies
            ``auto_ready``.
        auto_ready: go 示闲 (ready) right after sign-in and again after each call (demos and benchmarks only).
        ca_cert: the bank's CA certificate (PEM file) the server's TLS chain ends in, written by
            ``--configure --ca-cert``; ``None`` trusts the system store. Used for every https/wss connection.
        recording_key_id: the server's recording key id pinned on first use (双录); a change is reported.
        recording_spool_dir: where encrypted segments wait for upload (default: the user's data directory).
        recording_spool_limit_mb: disk bound of that spool.
        recording_segment_seconds: length of one recorded segment.
        recording_width: recorded picture width (the height follows ``recording_height``).
        recording_height: recorded picture height.
        ring_sound: play the ring (``resources/sounds/ring.wav``) while a call is offered; ``false`` mutes it
            (the ringing prompt and the tray notification still show).
    """

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    server_url: str = "http://127.0.0.1:8000"
    seat_id: str = Field(default="", max_length=64)
    camera: str = "auto"
    camera_fps: int = Field(default=30, ge=5, le=30)
    face_monitor_hz: float = Field(default=5.0, ge=0.0, le=10.0)
    microphone: str = "auto"
    language: str = "zh_CN"
    ice_bind_addresses: list[str] | None = None
    auto_answer: bool = False
    auto_ready: bool = False
    ca_cert: str | None = None
    recording_key_id: str = ""
    recording_spool_dir: str = ""
    recording_spool_limit_mb: int = Field(default=4096, ge=64)
    recording_segment_seconds: float = Field(default=10.0, ge=1.0, le=60.0)
    recording_width: int = Field(default=1280, ge=160, le=3840)
    recording_height: int = Field(default=720, ge=120, le=2160)
    ring_sound: bool = True

    @field_validator("server_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("服务器地址必须以 http:// 或 https:// 开头")
        return value

    @field_validator("ca_cert", mode="before")
    @classmethod
    def _empty_ca_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return str(value) if hasattr(value, "__fspath__") else value

    @field_validator("ice_bind_addresses", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            return parts or None
        return value

    @property
    def ws_url(self) -> str:
        """The WebSocket base URL matching ``server_url``."""
        if self.server_url.startswith("https://"):
            return "wss://" + self.server_url[len("https://") :]
        return "ws://" + self.server_url[len("http://") :]


def default_settings_path() -> Path:
    """The settings file in the platform's per-user config directory."""
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / SETTINGS_FILE_NAME


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings fields found in the environment as ``VT_SEAT_<FIELD>`` (e.g. ``VT_SEAT_SERVER_URL``)."""
    found: dict[str, Any] = {}
    for name in SeatSettings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in environ:
            found[name] = environ[key]
    return found


def load_settings(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> SeatSettings:
    """Build the effective settings.

    Args:
        path: settings file; defaults to :func:`default_settings_path`. A missing file is fine.
        environ: environment to read ``VT_SEAT_*`` from; defaults to ``os.environ``.
        overrides: values from the command line; ``None`` values are ignored.

    Raises:
        SettingsError: the file is unreadable or a value is invalid (Chinese message).
    """
    path = path or default_settings_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SettingsError(f"配置文件 {path} 无法读取:{exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"配置文件 {path} 格式错误:应为 JSON 对象")
        data.update(loaded)
    data.update(env_overrides(os.environ if environ is None else environ))
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return SeatSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        raise SettingsError(f"配置项 {field} 无效:{first['msg']}") from exc


def save_settings(settings: SeatSettings, path: Path | None = None) -> Path:
    """Write the settings file (atomically) and return its path."""
    path = path or default_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(settings.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)
    logger.info("settings saved to %s", path)
    return path
