"""VideoTeller coordination server (协调服务器): seat login, customer queue, call control and WebRTC signalling."""
