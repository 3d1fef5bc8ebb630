"""The seat talks to the real server over https/wss trusting the bank's CA (``SeatSettings.ca_cert``).

A throw-away CA and a server certificate for 127.0.0.1 are made with ``cryptography``; the real server runs under
uvicorn with that certificate. With the CA configured (as ``--configure --ca-cert`` writes it) the seat signs in and
its WebSocket connects; without it, or with another CA, sign-in fails with a clear Chinese message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from seat_client.call.connection import ConnectionStatus, LoginError, SeatConnection
from seat_client.configure import configure
from seat_client.controller import SeatController
from seat_client.settings import load_settings
from server.runner import ServerThread
from server.settings import Settings
from tests.installer import tls_fixtures
from tests.seat_client.conftest import run_async, wait_until
from wire import Welcome


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tls_fixtures.TestPki:
    return tls_fixtures.make_pki(tmp_path_factory.mktemp("bank-pki"))


@pytest.fixture(scope="module")
def https_server(pki: tls_fixtures.TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server over TLS on 127.0.0.1 (dev mode: seat ``demo`` / ``demo123``); yields its https URL."""
    settings = Settings(
        dev_mode=True,
        data_dir=tmp_path_factory.mktemp("tls-server"),
        port=0,
        log_level="warning",
        password_hash_profile="dev_fast",
    )
    server = ServerThread(settings, ssl_keyfile=str(pki.server_key), ssl_certfile=str(pki.server_cert))
    with server:
        yield f"https://127.0.0.1:{server.port}"


async def test_seat_connects_over_https_and_wss_with_the_bank_ca(https_server: str, pki: tls_fixtures.TestPki) -> None:
    connection = SeatConnection(https_server, "demo", "demo123", ca_cert=str(pki.ca_cert))
    assert connection.ws_url.startswith("wss://")
    welcomes: list[Welcome] = []
    connection.add_listener(lambda m: welcomes.append(m) if isinstance(m, Welcome) else None)
    response = await connection.start()
    assert response.seat_id == "demo"
    await wait_until(lambda: connection.status == ConnectionStatus.CONNECTED and bool(welcomes), timeout=10)
    assert welcomes[0].seat_id == "demo"
    await connection.close(logout=True)


async def test_without_the_ca_sign_in_fails_with_a_clear_message(https_server: str) -> None:
    connection = SeatConnection(https_server, "demo", "demo123")
    with pytest.raises(LoginError) as caught:
        await connection.start()
    assert caught.value.code == "tls_untrusted"
    assert "无法验证服务器证书" in caught.value.message
    assert "--configure --ca-cert" in caught.value.message
    assert connection.status == ConnectionStatus.DISCONNECTED  # nothing keeps retrying


async def test_a_different_ca_is_not_trusted(https_server: str, tmp_path: Path) -> None:
    other = tls_fixtures.make_pki(tmp_path / "other")
    connection = SeatConnection(https_server, "demo", "demo123", ca_cert=str(other.ca_cert))
    with pytest.raises(LoginError) as caught:
        await connection.login()
    assert caught.value.code == "tls_untrusted"
    assert str(other.ca_cert) in caught.value.message and "银行 CA 证书" in caught.value.message


async def test_an_unusable_ca_file_is_reported(https_server: str, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(LoginError) as caught:
        await SeatConnection(https_server, "demo", "demo123", ca_cert=str(bad)).login()
    assert caught.value.code == "tls_config"
    assert "CA 证书文件" in caught.value.message


def test_configured_ca_reaches_the_controller(
    https_server: str, pki: tls_fixtures.TestPki, tmp_path: Path, qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop
) -> None:
    """``--configure --ca-cert`` writes ``ca_cert``; the workstation's settings read it and the controller uses it."""
    settings_path = configure(
        settings_path=tmp_path / "seat.json",
        server=https_server,
        seat_id="demo",
        ca_cert=pki.ca_cert,
        camera="fake-pattern",
        microphone="none",
    )
    settings = load_settings(settings_path, environ={})
    assert settings.ca_cert is not None and Path(settings.ca_cert).name == "bank-ca.pem"
    controller = SeatController(settings)
    failures: list[str] = []
    controller.loginFailed.connect(failures.append)

    async def scenario() -> None:
        try:
            assert await controller.login(settings.server_url, "demo", "demo123"), failures
            connection = controller.connection
            assert connection is not None and connection.ca_cert == settings.ca_cert
            # The 双录 key came over https with the same CA (recording would be refused without it).
            recording = controller.recording
            assert recording is not None
            assert recording.key_id, recording.error
            await wait_until(lambda: controller.seat_state == "not_ready", timeout=10)
        finally:
            await controller.shutdown()

    run_async(qasync_loop, scenario())
    assert not failures
