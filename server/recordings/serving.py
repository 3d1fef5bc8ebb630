"""Serves an ASGI app with uvicorn in a background thread on loopback (used by tests and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class ThreadedServer:
    """A real uvicorn server in a daemon thread; ``stop()`` shuts it down like a server restart would.

    Args:
        app: the ASGI app.
        port: TCP port on 127.0.0.1 (0 picks a free one; reuse ``.port`` to restart on the same address).
    """

    def __init__(self, app: Any, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        """Starts serving and waits until the server accepts requests."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            pause.wait(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the server (open connections are dropped) and closes the socket."""
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(timeout)
        self.sock.close()
