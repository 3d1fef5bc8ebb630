"""Local media sources (camera, microphone) behind one small interface, with clearly named fakes for tests."""

from seat_client.media.base import ThreadedVideoTrack
from seat_client.media.factory import open_camera, open_microphone

__all__ = ["ThreadedVideoTrack", "open_camera", "open_microphone"]
