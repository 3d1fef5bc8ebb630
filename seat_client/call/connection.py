"""The seat's signalling connection: HTTP login, then a WebSocket to ``/ws/seat`` that reconnects on drop."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import ssl
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx
import websockets
from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from seat_client import __version__
from seat_client.configure import tls_context
from seat_client.settings import SettingsError
from wire import LoginRequest, LoginResponse, ProtocolError, dump_message, parse_server_to_seat

logger = logging.getLogger(__name__)

MessageListener = Callable[[Any], Awaitable[None] | None]
StatusListener = Callable[["ConnectionStatus"], Awaitable[None] | None]

MSG_BAD_CREDENTIALS = "工号或密码错误"
MSG_UNREACHABLE = "无法连接服务器"
MSG_REPLACED = "该坐席已在其他地方登录"
MSG_TLS_NO_CA = (
    "无法验证服务器证书({url}):未配置银行 CA 证书。"
    "请联系运维执行 videoteller-seat --configure --ca-cert <银行CA证书.pem>"
)
MSG_TLS_UNTRUSTED = "无法验证服务器证书({url}):服务器证书不是由已配置的银行 CA 证书({ca})签发,或与服务器地址不符"

CLOSE_BAD_TOKEN = 4401
"""The server refused the token: log in again."""
CLOSE_REPLACED = 4409
"""Another client signed in with this seat id: stop, do not fight over the seat."""


class ConnectionStatus(StrEnum):
    """The link to the server as shown in the status bar."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


class LoginError(Exception):
    """Sign-in failed; ``message`` is Chinese and shown to the teller.

    Attributes:
        code: ``bad_credentials``, ``unreachable``, ``tls_untrusted`` (the server's certificate does not verify
            against the configured CA), ``tls_config`` (the CA file is unusable), ``invalid_input`` or
            ``server_error``.
        message: text for the login dialog.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class NotConnectedError(RuntimeError):
    """A message was sent while the WebSocket is down."""


def is_certificate_error(exc: BaseException) -> bool:
    """Whether a connection error (or anything it was raised from) is a failed TLS certificate check."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _detail(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("message", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
        if isinstance(body.get("detail"), dict) and isinstance(body["detail"].get("message"), str):
            return str(body["detail"]["message"])
    return None


class SeatConnection:
    """Login plus a self-healing WebSocket to the coordination server (Qt-free).

    Messages are parsed with :func:`wire.parse_server_to_seat` and delivered, in order, to every listener
    added with :meth:`add_listener` (plain functions or coroutines). On a dropped socket the connection retries
    with exponential backoff (``backoff_initial`` doubling up to ``backoff_max``), logging in again if the server
    refuses the token; the server's ``welcome`` after a reconnect carries the authoritative seat state.

    Args:
        server_url: ``http(s)://host:port``.
        seat_id: 工号.
        password: the teller's password; kept in memory only for re-login.
        ca_cert: the bank's CA certificate (PEM file) for https/wss (``SeatSettings.ca_cert``); None trusts the
            system store.
        transport: optional httpx transport (tests).
    """

    def __init__(
        self,
        server_url: str,
        seat_id: str,
        password: str,
        *,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_cert: str | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.ca_cert = ca_cert
        self._ssl_context: ssl.SSLContext | None = None
        self.seat_id = seat_id
        self._password = password
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._transport = transport
        self._listeners: list[MessageListener] = []
        self._status_listeners: list[StatusListener] = []
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.status = ConnectionStatus.DISCONNECTED
        self.login_response: LoginResponse | None = None
        self.connect_count = 0
        self.terminal_reason: str | None = None
        """Why the connection stopped for good (Chinese), e.g. the seat signed in elsewhere."""

    @property
    def ws_url(self) -> str:
        """The seat WebSocket URL without the token."""
        base = self.server_url
        base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base.removeprefix("http://")
        return base + "/ws/seat"

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context every client-side https/wss connection of this seat uses (``verify=`` for httpx).

        Trusts only ``ca_cert`` when configured, else the system store; hostname checks on.

        Raises:
            LoginError: ``tls_config``, the CA file cannot be used (Chinese message).
        """
        if self._ssl_context is None:
            try:
                self._ssl_context = tls_context(self.ca_cert)
            except SettingsError as exc:
                raise LoginError("tls_config", exc.message) from exc
        return self._ssl_context

    @property
    def http_verify(self) -> ssl.SSLContext | bool:
        """``verify=`` for this seat's httpx clients: :attr:`ssl_context` for https (the CA file is only read then),
        the default for plain http."""
        return self.ssl_context if self.server_url.startswith("https://") else True

    def _unreachable(self, exc: Exception) -> LoginError:
        if is_certificate_error(exc):
            logger.error("TLS certificate of %s not trusted (CA %s): %s", self.server_url, self.ca_cert or "-", exc)
            if self.ca_cert:
                return LoginError("tls_untrusted", MSG_TLS_UNTRUSTED.format(url=self.server_url, ca=self.ca_cert))
            return LoginError("tls_untrusted", MSG_TLS_NO_CA.format(url=self.server_url))
        return LoginError("unreachable", f"{MSG_UNREACHABLE}({self.server_url})")

    def add_listener(self, listener: MessageListener) -> None:
        """Receive every parsed server message."""
        self._listeners.append(listener)

    def add_status_listener(self, listener: StatusListener) -> None:
        """Receive every :class:`ConnectionStatus` change."""
        self._status_listeners.append(listener)

    async def _emit(self, listeners: list[Any], value: Any) -> None:
        for listener in list(listeners):
            try:
                result = listener(value)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("listener %r failed on %r", listener, getattr(value, "type", value))

    async def _set_status(self, status: ConnectionStatus) -> None:
        if status != self.status:
            self.status = status
            logger.info("seat %s connection %s", self.seat_id, status)
            await self._emit(self._status_listeners, status)

    async def login(self) -> LoginResponse:
        """``POST /api/auth/login``; raises :class:`LoginError` with a Chinese message."""
        try:
            request = LoginRequest(seat_id=self.seat_id, password=self._password, client_version=__version__)
        except ValidationError as exc:
            raise LoginError("invalid_input", "请输入工号和密码") from exc
        verify = self.http_verify
        try:
            async with httpx.AsyncClient(
                base_url=self.server_url, timeout=10, transport=self._transport, verify=verify
            ) as client:
                response = await client.post("/api/auth/login", json=request.model_dump(mode="json"))
        except (httpx.TransportError, httpx.InvalidURL, ValueError) as exc:
            logger.warning("login to %s failed: %s", self.server_url, exc)
            raise self._unreachable(exc) from exc
        if response.status_code in (401, 403):
            raise LoginError("bad_credentials", MSG_BAD_CREDENTIALS)
        if response.status_code == 422:
            raise LoginError("invalid_input", "工号或密码格式不正确")
        if response.status_code >= 400:
            detail = _detail(response)
            raise LoginError("server_error", detail or f"服务器拒绝登录(HTTP {response.status_code})")
        try:
            self.login_response = LoginResponse.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise LoginError("server_error", "服务器返回的登录结果无法识别") from exc
        logger.info("seat %s logged in as %s", self.seat_id, self.login_response.display_name)
        return self.login_response

    async def start(self) -> LoginResponse:
        """Log in and start the WebSocket loop; returns after login (the socket connects in the background)."""
        response = await self.login()
        self._closing = False
        self._task = asyncio.create_task(self._run(), name=f"seat-ws-{self.seat_id}")
        return response

    async def send(self, message: BaseModel) -> None:
        """Send one wire message; raises :class:`NotConnectedError` while the socket is down."""
        ws = self._ws
        if ws is None:
            raise NotConnectedError("not connected")
        try:
            await ws.send(dump_message(message))
        except ConnectionClosed as exc:
            raise NotConnectedError(str(exc)) from exc

    async def _run(self) -> None:
        delay = self._backoff_initial
        first = True
        while not self._closing:
            await self._set_status(ConnectionStatus.CONNECTING if first else ConnectionStatus.RECONNECTING)
            try:
                if self.login_response is None:
                    await self.login()
                assert self.login_response is not None
                url = f"{self.ws_url}?token={quote(self.login_response.token)}"
                tls = self.ssl_context if url.startswith("wss://") else None
                async with websockets.connect(url, max_size=2**20, open_timeout=10, ssl=tls) as ws:
                    self._ws = ws
                    self.connect_count += 1
                    first = False
                    delay = self._backoff_initial
                    await self._set_status(ConnectionStatus.CONNECTED)
                    await self._read(ws)
            except InvalidStatus as exc:
                code = exc.response.status_code
                logger.warning("seat socket refused with HTTP %s", code)
                if code in (401, 403):
                    self.login_response = None  # token expired or revoked: log in again
            except LoginError as exc:
                logger.warning("re-login failed: %s", exc.message)
                if exc.code in ("bad_credentials", "tls_untrusted", "tls_config"):
                    self.terminal_reason = exc.message
                    break
            except ConnectionClosed as exc:
                logger.warning("seat socket dropped: %s", exc)
                if exc.rcvd is not None:
                    self._server_closed(exc.rcvd.code, exc.rcvd.reason)
            except (OSError, TimeoutError, InvalidURI) as exc:
                logger.warning("seat socket dropped: %s", exc)
                if is_certificate_error(exc):
                    self.terminal_reason = self._unreachable(exc).message
            except Exception:
                logger.exception("seat socket loop failed")
            finally:
                self._ws = None
            if self._closing or self.terminal_reason:
                break
            await self._set_status(ConnectionStatus.RECONNECTING)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_max)
        await self._set_status(
            ConnectionStatus.CLOSED if self._closing or self.terminal_reason else ConnectionStatus.DISCONNECTED
        )

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            try:
                message = parse_server_to_seat(raw)
            except ProtocolError as exc:
                logger.warning("unparseable server message (%s): %.120r", exc.code, raw)
                continue
            logger.debug("<- %s", message.type)
            await self._emit(self._listeners, message)
        logger.info("seat socket closed by server (code %s, %s)", ws.close_code, ws.close_reason)
        if ws.close_code is not None:
            self._server_closed(ws.close_code, ws.close_reason or "")

    def _server_closed(self, code: int, reason: str) -> None:
        if code in (CLOSE_BAD_TOKEN, 4403, 1008):
            self.login_response = None  # log in again before reconnecting
        elif code == CLOSE_REPLACED:
            self.terminal_reason = reason or MSG_REPLACED

    async def logout(self) -> None:
        """签出: revoke the token on the server (best effort; the socket is closed by the server)."""
        response = self.login_response
        if response is None:
            return
        self.login_response = None
        try:
            async with httpx.AsyncClient(
                base_url=self.server_url, timeout=3, transport=self._transport, verify=self.http_verify
            ) as client:
                reply = await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {response.token}"})
            logger.info("seat %s signed out (HTTP %s)", self.seat_id, reply.status_code)
        except (httpx.HTTPError, LoginError) as exc:
            logger.warning("sign-out of seat %s failed: %s", self.seat_id, exc)

    async def close(self, *, logout: bool = False) -> None:
        """Close the socket and stop reconnecting; with ``logout`` revoke the token first (签出)."""
        self._closing = True
        if logout:
            await self.logout()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self._set_status(ConnectionStatus.CLOSED)
