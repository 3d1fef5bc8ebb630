"""Run the server with uvicorn: the config every launcher uses, and a background thread for tests and tools."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import uvicorn

from server.app import create_app
from server.settings import Settings


def uvicorn_config(settings: Settings, app: Any = None, **overrides: Any) -> uvicorn.Config:
    """A uvicorn config for the server app with the WebSocket frame limit from settings."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "ws_max_size": settings.ws_max_size_bytes,
        "ws_ping_interval": settings.ws_ping_interval_s,
        "ws_ping_timeout": settings.ws_ping_timeout_s,
        "log_level": settings.log_level.lower(),
        "lifespan": "on",
        "proxy_headers": False,
    }
    options.update(overrides)
    return uvicorn.Config(app if app is not None else create_app(settings), **options)


class ServerThread:
    """The real server on a background thread (own event loop), for tests and end-to-end runs.

    Example:
        >>> with ServerThread(Settings(dev_mode=True, data_dir=tmp, port=0)) as server:
        ...     httpx.get(server.base_url + "/healthz")

    Args:
        settings: server settings; ``port=0`` picks a free port (read it from ``port`` after start).
        **config: extra uvicorn options.
    """

    def __init__(self, settings: Settings, **config: Any) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.server = uvicorn.Server(uvicorn_config(settings, self.app, **config))
        self._thread = threading.Thread(target=self._run, name="videoteller-server", daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self, timeout: float = 15.0) -> ServerThread:
        """Start and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            pause.wait(0.02)
        if not self.server.started:
            raise RuntimeError("the server did not start (see the log for the reason)")
        sockets = self.server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.settings.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://host:port`` of the running server."""
        return f"ws://{self.settings.host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to shut down and wait for the thread."""
        self.server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
