"""Self-test checks (seat_client/selftest.py) from source: report, codecs, fonts, face model, server TLS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seat_client import selftest
from seat_client.selftest import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    CheckResult,
    SelfTestReport,
    check_codecs,
    check_face,
    check_font,
    check_server,
    configured_server,
)
from tests.installer.tls_fixtures import healthz_server, make_pki


def test_report_fails_only_on_failed_checks() -> None:
    report = SelfTestReport(version="0.1.0", frozen=False)
    report.checks = [
        CheckResult("font", "中文字体", PASS, "ok", 0.1),
        CheckResult("devices", "摄像头/麦克风", WARN, "cameras: none", 0.0),
        CheckResult("server", "服务器连接/TLS", SKIP, "no server URL configured", 0.0),
    ]
    assert report.ok
    text = report.format()
    assert text.splitlines()[-1] == "SELF-TEST OK (1 pass, 1 warn, 1 skip)"
    assert "[WARN] devices" in text
    report.checks.append(CheckResult("ocr", "文字识别", FAIL, "read ''", 2.0))
    assert not report.ok
    assert report.format().splitlines()[-1] == "SELF-TEST FAILED: ocr (1 pass, 1 warn, 1 fail, 1 skip)"


def test_a_crashing_check_is_reported_as_failed() -> None:
    def broken() -> tuple[str, str]:
        raise FileNotFoundError("resource missing: selftest/face.jpg")

    result = selftest._timed("face", "人脸模型", broken)
    assert result.status == FAIL
    assert "FileNotFoundError: resource missing" in result.detail


def test_codecs_round_trip() -> None:
    status, detail = check_codecs()
    assert status == PASS, detail
    for codec in ("VP8", "H.264", "AAC"):
        assert codec in detail


def test_a_missing_codec_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = selftest._codec_roundtrip

    def without_x264(encoder: str, decoder: str, kind: str) -> int:
        if encoder == "libx264":
            raise ValueError("unknown encoder 'libx264'")
        return real(encoder, decoder, kind)

    monkeypatch.setattr(selftest, "_codec_roundtrip", without_x264)
    status, detail = check_codecs()
    assert status == FAIL
    assert "H.264 (libx264/h264): ValueError" in detail


def test_chinese_renders_and_tofu_is_detected(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QFont

    from seat_client.fonts import glyph_coverage

    status, detail = check_font()
    assert status == PASS, detail
    # a character no installed font has comes out as tofu and is caught
    tofu = glyph_coverage(QFont("DejaVu Sans"), "坐\U000f0001")
    assert not tofu.ok
    assert "\U000f0001" in tofu.missing


def test_face_embedding_on_the_sample() -> None:
    status, detail = check_face()
    assert status == PASS, detail
    cosine = float(detail.rsplit(" ", 1)[1])
    assert cosine >= selftest.SFACE_SAME_PERSON


async def test_server_check_trusts_the_bank_ca(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    async with healthz_server(pki) as url:
        status, detail = await check_server(url, str(pki.ca_cert))
        assert status == PASS, detail
        assert "TLS chain valid" in detail
        # without the bank's CA the chain is not trusted
        status, detail = await check_server(url, None)
        assert status == FAIL
        assert "not trusted" in detail
        # a CA that did not sign the server's certificate
        other = make_pki(tmp_path / "other")
        status, detail = await check_server(url, str(other.ca_cert))
        assert status == FAIL
        assert "not trusted" in detail


async def test_server_check_plain_http_unreachable_and_unconfigured() -> None:
    async with healthz_server(None) as url:
        status, detail = await check_server(url, None)
        assert status == WARN
        assert "not encrypted" in detail
    status, detail = await check_server(url, None)  # the server is gone now
    assert status == FAIL
    assert "unreachable" in detail
    assert (await check_server(None, None))[0] == SKIP


def test_configured_server_reads_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VT_SEAT_SERVER_URL", raising=False)
    monkeypatch.delenv("VT_SEAT_CA_CERT", raising=False)
    settings = tmp_path / "seat.json"
    assert configured_server(settings, None) == (None, None)
    settings.write_text(json.dumps({"server_url": "https://vt.bank.example/", "ca_cert": "/etc/ca.pem"}), "utf-8")
    assert configured_server(settings, None) == ("https://vt.bank.example", "/etc/ca.pem")
    assert configured_server(settings, "http://127.0.0.1:9") == ("http://127.0.0.1:9", "/etc/ca.pem")


def test_ring_sound_and_translations_are_checked(qapp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    status, detail = selftest.check_ui_resources()
    assert status == PASS, detail
    assert "ring.wav" in detail and "en (videoteller_en" in detail and ".qm)" in detail
    # a bundle without the sounds folder fails the check, and says what is missing
    monkeypatch.setattr("seat_client.resources.resources_root", lambda: tmp_path)
    status, detail = selftest.check_ui_resources()
    assert status == FAIL and "sounds" in detail
