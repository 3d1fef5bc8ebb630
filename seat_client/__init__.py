"""VideoTeller seat workstation (坐席工作台): PySide6 + qasync UI over a Qt-free call core."""

__version__ = "0.1.0"
APP_NAME = "VideoTeller"
APP_AUTHOR = "VideoTeller"
