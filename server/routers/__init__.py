"""HTTP and WebSocket routers, one per concern."""
