"""Remote and local video delivery to the Qt layer: decode off the event loop, keep only the latest frame."""
