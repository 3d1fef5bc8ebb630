"""Re-export of :mod:`wire.recording_format` (moved to ``wire/`` so the server need not import the seat client)."""

from wire.recording_format import *  # noqa: F403
