"""The FastAPI application factory; nothing happens at import."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from server.calls import CallCoordinator, Clock, utc_now
from server.db import Database
from server.deps import Services
from server.middleware import SecurityMiddleware
from server.queueing import CallQueue
from server.recordings import wiring as recordings
from server.routers import (  # seat workstation: 话术, 抓拍, 签名
    auth,
    customer,
    evidence_uploads,
    health,
    identity,
    routing_admin,
    scripts,
    sessions,
    signalling,
    signature,
)
from server.routing.wiring import build_coordinator
from server.security import LoginThrottle, RateLimiter, SeatPasswords
from server.settings import Settings
from server.verification.photos import PhotoStore
from server.verification.service import IdentityRefused, IdentityService

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"

_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """Hide ``token=...`` query values (customer and seat tokens travel in WebSocket URLs) in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = (
                tuple(
                    _TOKEN_IN_URL.sub(r"\1***", arg) if isinstance(arg, str) else arg
                    for arg in record.args  # type: ignore[union-attr]
                )
                if isinstance(record.args, tuple)
                else record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


def install_log_redaction() -> None:
    """Attach :class:`RedactTokens` to uvicorn's loggers once."""
    for name in ("uvicorn.access", "uvicorn.error"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in target.filters):
            target.addFilter(RedactTokens())


def seed_dev_seats(db: Database, settings: Settings, passwords: SeatPasswords, clock: Clock) -> None:
    """Create (or reset) the configured demo seat accounts; only in dev mode."""
    if not settings.dev_mode:
        return
    for seed in settings.dev_seed_seats:
        existing = db.get_seat(seed.seat_id)
        if (
            existing is None
            or existing.display_name != seed.display_name
            or not passwords.verify(existing.password_hash, seed.password)
        ):
            db.upsert_seat(seed.seat_id, seed.display_name, passwords.hash(seed.password), clock())
        logger.warning("dev mode: seat account %r is available with its configured seed password", seed.seat_id)


def bank_options(settings: Settings) -> dict[str, Any]:
    """The bank adapter options with the server's defaults (sandbox data under the data dir, small latency)."""
    options = dict(settings.bank_options)
    if settings.bank_adapter == "sandbox":
        options.setdefault("data_dir", str(settings.data_dir / "sandbox_bank"))
        options.setdefault("latency_s", 0.02)
    else:
        options.setdefault("timeout_s", settings.bank_timeout_s)
    return options


async def start_identity(
    settings: Settings, db: Database, coordinator: CallCoordinator, clock: Clock
) -> IdentityService:
    """Build the bank adapters (off the event loop: the sandbox may generate its data) and the identity service."""
    from server.bank.registry import create_bank_adapters

    adapters = await asyncio.to_thread(create_bank_adapters, settings.bank_adapter, bank_options(settings))
    photos = PhotoStore(settings.data_dir / "identity_photos")
    return IdentityService(settings, db, coordinator, adapters, photos, clock)


def create_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    queue_factory: Callable[[], CallQueue] | None = None,
) -> FastAPI:
    """Build the server application.

    Args:
        settings: validated settings.
        clock: source of the current time (tests may pass a controllable one).
        queue_factory: builds the queue; None: as ``settings.queue_impl`` says (the routing engine by default).

    The lifespan opens the database, seeds dev seats, and restores the queue after a restart; services are then on
    ``app.state.services`` (:class:`server.deps.Services`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_path)
        passwords = SeatPasswords(fast_insecure=settings.password_hash_profile == "dev_fast")
        seed_dev_seats(db, settings, passwords, clock)
        coordinator = build_coordinator(db, settings, clock, queue_factory)
        # 双录 and the chained session trail start before restore(), so restored sessions are chained too.
        recordings.start_recordings(app, settings, db, coordinator)
        coordinator.restore()
        app.state.services = Services(
            settings=settings,
            db=db,
            coordinator=coordinator,
            clock=clock,
            passwords=passwords,
            login_throttle=LoginThrottle(settings.login_max_failures, settings.login_lockout_s),
            ticket_limiter=RateLimiter(settings.ticket_rate_limit, 60.0) if settings.ticket_rate_limit else None,
        )
        app.state.services.identity = await start_identity(settings, db, coordinator, clock)
        logger.info("server ready (data dir %s, dev mode %s)", settings.data_dir, settings.dev_mode)
        try:
            yield
        finally:
            coordinator.shutdown()
            await recordings.stop_recordings(app)
            if app.state.services.identity is not None:
                await app.state.services.identity.close()
            app.state.services = None
            db.close()

    install_log_redaction()
    app = FastAPI(title="VideoTeller", version="0.1.0", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.services = None

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        fields = sorted({".".join(str(p) for p in err.get("loc", ())[1:]) or "-" for err in errors})
        message = "请求参数有误:" + "、".join(fields)
        if any(err.get("loc", ())[-1:] == ("business_type",) for err in errors):
            message = "不支持的业务类型,请重新选择"
        return JSONResponse(
            status_code=422, content={"detail": jsonable_encoder(errors, exclude={"ctx", "input"}), "message": message}
        )

    @app.exception_handler(IdentityRefused)
    async def _identity_refused(_request: Request, exc: IdentityRefused) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message, "code": exc.code})

    app.add_middleware(
        SecurityMiddleware,
        large_bodies={
            identity.PRECHECK_PATH: 2 * settings.id_image_max_bytes + 64 * 1024,
            identity.FRAMES_PATH_PREFIX: identity.MAX_FRAME_BYTES + 16 * 1024,
            evidence_uploads.UPLOAD_PREFIX: evidence_uploads.MAX_SNAPSHOT_BYTES + 16 * 1024,
            recordings.UPLOAD_PATH_PREFIX: recordings.UPLOAD_BODY_LIMIT,
        },
    )
    for module in (auth, customer, identity, sessions, signalling, health):
        app.include_router(module.router)
    for module in (scripts, evidence_uploads, signature):
        app.include_router(module.router)
    app.include_router(routing_admin.router)
    recordings.include_recordings(app)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
