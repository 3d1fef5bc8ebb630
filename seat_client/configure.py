"""``videoteller-seat --configure``: per-seat settings written at install time or before the first start (坐席配置).

IT runs, for the teller's account::

    videoteller-seat --configure --server https://vt.bank.example --seat-id 1001 --ca-cert bank-root.pem --camera 0

which validates everything, copies the bank's CA certificate next to the settings file and writes the settings
file (``seat_client.settings.default_settings_path()``: ``~/.config/VideoTeller/seat.json`` on Linux,
``%LOCALAPPDATA%\\VideoTeller\\VideoTeller\\seat.json`` on Windows). With ``--system`` (run as root/administrator,
e.g. from the Windows installer) the file goes to the machine-wide directory instead
(``/etc/xdg/VideoTeller/seat.json``, ``C:\\ProgramData\\VideoTeller\\VideoTeller\\seat.json``) and each teller's
first start copies it into their own settings (:func:`seed_user_settings`). Qt-free.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import ssl
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError

from seat_client import APP_AUTHOR, APP_NAME
from seat_client.settings import SeatSettings, SettingsError, default_settings_path

logger = logging.getLogger(__name__)

CA_FILE_NAME = "bank-ca.pem"
CAMERA_KEYWORDS = ("auto", "fake-pattern")
MICROPHONE_KEYWORDS = ("auto", "fake-tone", "none")


def site_settings_path() -> Path:
    """The machine-wide settings file written by ``--configure --system``."""
    return Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR)) / default_settings_path().name


def read_settings_file(path: Path | None = None) -> dict[str, Any]:
    """The settings file as a plain dict ({} when it does not exist or is unreadable: the caller decides)."""
    path = path or default_settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def tls_context(ca_cert: str | Path | None) -> ssl.SSLContext:
    """An SSL context trusting only the bank's CA (when given) or the system store; hostname checks on.

    Raises:
        SettingsError: the CA file cannot be read or holds no certificate (Chinese message).
    """
    if ca_cert is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=str(ca_cert))
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(f"CA 证书文件 {ca_cert} 无法使用:{exc}") from exc


def describe_ca(path: Path) -> str:
    """Subject and validity of the first certificate in a PEM file, for the confirmation message.

    Raises:
        SettingsError: not a PEM certificate file, or every certificate in it has expired.
    """
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"CA 证书文件 {path} 不是有效的 PEM 证书:{exc}") from exc
    now = datetime.now(UTC)
    valid = [c for c in certs if c.not_valid_after_utc > now]
    if not valid:
        raise SettingsError(f"CA 证书文件 {path} 中的证书均已过期")
    first = valid[0]
    return f"{first.subject.rfc4514_string()}(有效期至 {first.not_valid_after_utc:%Y-%m-%d})"


def _check_camera(value: str) -> str:
    value = value.strip()
    if value in CAMERA_KEYWORDS or value.isdigit():
        return value
    if Path(value).is_file():
        return str(Path(value).resolve())
    raise SettingsError(f"摄像头设置无效:{value}(可用 auto、fake-pattern、设备序号如 0,或视频文件路径)")


def _check_microphone(value: str) -> str:
    value = value.strip()
    if value not in MICROPHONE_KEYWORDS:
        raise SettingsError(f"麦克风设置无效:{value}(可用 {'、'.join(MICROPHONE_KEYWORDS)})")
    return value


def configure(
    *,
    settings_path: Path | None = None,
    server: str | None = None,
    seat_id: str | None = None,
    ca_cert: Path | None = None,
    camera: str | None = None,
    microphone: str | None = None,
) -> Path:
    """Validate the given values, merge them into the settings file and return its path.

    Values not given keep what the file has; keys this version does not know are kept too. The CA certificate is
    checked (PEM, not expired) and copied next to the settings file as ``bank-ca.pem``; the file records its path
    as ``ca_cert``. Nothing is written when a value is invalid.

    Raises:
        SettingsError: an invalid value (Chinese message naming it).
    """
    path = settings_path or default_settings_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"配置文件 {path} 无法读取或格式错误,请先修复或删除:{exc}") from exc
        if not isinstance(data, dict):
            raise SettingsError(f"配置文件 {path} 格式错误:应为 JSON 对象")
    updates: dict[str, Any] = {}
    if server is not None:
        updates["server_url"] = server
    if seat_id is not None:
        if not seat_id.strip():
            raise SettingsError("工号不能为空")
        updates["seat_id"] = seat_id.strip()
    if camera is not None:
        updates["camera"] = _check_camera(camera)
    if microphone is not None:
        updates["microphone"] = _check_microphone(microphone)
    try:
        checked = SeatSettings.model_validate({**data, **updates})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        raise SettingsError(f"配置项 {field} 无效:{first['msg']}") from exc
    # Store what the schema normalised (e.g. a trailing slash removed from the URL).
    for key in updates:
        updates[key] = getattr(checked, key)
    if ca_cert is not None:
        if not ca_cert.is_file():
            raise SettingsError(f"CA 证书文件不存在:{ca_cert}")
        describe_ca(ca_cert)
        tls_context(ca_cert)
    if ca_cert is None and str(updates.get("server_url", data.get("server_url", ""))).startswith("http://"):
        logger.warning("server %s is not https: fine for a test bench, never for production", updates.get("server_url"))

    path.parent.mkdir(parents=True, exist_ok=True)
    if ca_cert is not None:
        target = path.parent / CA_FILE_NAME
        if ca_cert.resolve() != target.resolve():
            shutil.copyfile(ca_cert, target)
        updates["ca_cert"] = str(target.resolve())
    merged = {**data, **updates}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(merged, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    logger.info("seat settings written to %s (%s)", path, ", ".join(sorted(updates)) or "no changes")
    return path


def seed_user_settings(user_path: Path | None = None, site_path: Path | None = None) -> bool:
    """First start: copy the machine-wide settings (written by ``--configure --system``) to the user's file.

    Does nothing when the user already has a settings file or there is no machine-wide file. Returns True if
    the file was copied.
    """
    user_path = user_path or default_settings_path()
    site_path = site_path or site_settings_path()
    if user_path.exists() or not site_path.is_file():
        return False
    data = read_settings_file(site_path)
    if not data:
        logger.warning("machine-wide settings %s unreadable: not copied", site_path)
        return False
    user_path.parent.mkdir(parents=True, exist_ok=True)
    user_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    logger.info("first start: settings copied from %s to %s", site_path, user_path)
    return True


def build_parser() -> argparse.ArgumentParser:
    """Options of ``--configure`` (the same names as the workstation's own options)."""
    p = argparse.ArgumentParser(prog="videoteller-seat --configure", description="写入坐席配置(安装时或首次启动前)")
    p.add_argument("--configure", action="store_true", required=True)
    p.add_argument("--server", help="server URL, https://host[:port]")
    p.add_argument("--seat-id", help="工号")
    p.add_argument("--ca-cert", type=Path, help="the bank's CA certificate (PEM) the server's TLS chain ends in")
    p.add_argument("--camera", help="auto | fake-pattern | device index | video file")
    p.add_argument("--microphone", help="auto | fake-tone | none")
    p.add_argument("--settings", type=Path, help="settings file (default: the user's config directory)")
    p.add_argument("--system", action="store_true", help="write the machine-wide file (needs root/administrator)")
    return p


def configure_main(argv: Sequence[str]) -> int:
    """``--configure`` entry point: 0 on success, 2 on invalid input (message in Chinese on stderr)."""
    args, unknown = build_parser().parse_known_args(list(argv))
    if unknown:
        print(f"--configure 不支持这些参数:{' '.join(unknown)}", file=sys.stderr)
        return 2
    path = args.settings or (site_settings_path() if args.system else None)
    try:
        written = configure(
            settings_path=path,
            server=args.server,
            seat_id=args.seat_id,
            ca_cert=args.ca_cert,
            camera=args.camera,
            microphone=args.microphone,
        )
        ca_note = f";CA 证书:{describe_ca(args.ca_cert)}" if args.ca_cert else ""
    except SettingsError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"无法写入配置:{exc}", file=sys.stderr)
        return 2
    print(f"已写入坐席配置:{written}{ca_note}")
    return 0
