"""Tools for demos and tests that act as a customer against a running server (not used in production)."""
