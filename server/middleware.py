"""ASGI middleware: a request body size limit and security headers on every HTTP response."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
"""Largest HTTP request body accepted; every request the API takes is a small JSON object."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # no inline script, no eval: an injected <script> or onclick= does not run
        "style-src 'self'",
        "img-src 'self' data: blob:",  # the ID-card previews and the signature canvas export
        "media-src 'self' blob: mediastream:",  # the camera preview and the teller's video
        "connect-src 'self'",  # the API and the page's own WebSocket (CSP3 'self' covers ws/wss of this origin)
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""The customer page is served by this origin alone: its scripts, styles, API and WebSocket."""

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]


class SecurityMiddleware:
    """Refuse request bodies over ``max_body_bytes`` with 413 (Chinese message) and add security headers.

    ``large_bodies`` maps path prefixes to their own limit (ID-card photo uploads, camera frames).
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES, large_bodies: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.large_bodies = dict(large_bodies or {})

    def _limit(self, path: str) -> int:
        for prefix, limit in self.large_bodies.items():
            if path.startswith(prefix):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        max_body = self._limit(str(scope.get("path", "")))
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            await self._refuse(send)
            return
        received = 0
        refused = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    # Answer 413 now; the app sees a disconnect and whatever it sends is dropped.
                    refused = True
                    if not response_started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
                message = dict(message)
                existing = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in SECURITY_HEADERS if name not in existing),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        body: Any = json.dumps({"detail": "请求内容过大"}, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json; charset=utf-8"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})
