"""Qt-free call services: the signalling connection to the server and one WebRTC session per call."""
