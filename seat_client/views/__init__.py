"""The Qt layer: views lay out widgets and forward clicks as signals; they never touch network, camera or aiortc."""
