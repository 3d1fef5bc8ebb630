"""Identity verification on the server: pre-checks, gate sessions and access-controlled identity photos."""
