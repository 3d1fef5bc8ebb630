"""Render the workstation's main window in each main state to PNGs under docs/screenshots/ (used by the README).

States: idle, ringing, in call with gates passed, gate failed, signature review, wrap-up; each at 1366x768, plus the
in-call state at 1920x1080. Runs offscreen with the real widgets and the real theme; the data is sandbox demo data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _frame_from(path: Path, width: int, height: int) -> np.ndarray:
    """An RGB 16:9 'camera' frame with the face image in the middle of a plain room-coloured background."""
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise FileNotFoundError(f"cannot read image {path}")
    face = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    canvas = np.full((height, width, 3), (96, 112, 128), np.uint8)
    scale = height * 0.9 / face.shape[0]
    face = cv2.resize(face, (int(face.shape[1] * scale), int(face.shape[0] * scale)))
    y = (height - face.shape[0]) // 2
    x = (width - face.shape[1]) // 2
    canvas[y : y + face.shape[0], x : x + face.shape[1]] = face
    return canvas


def main(argv: list[str] | None = None) -> int:
    """Render and save; prints the paths."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from seat_client.devtools.workstation_states import STATES, build_state
    from seat_client.fonts import ensure_cjk_font
    from seat_client.resources import resource_path
    from seat_client.views.main_window import MainWindow
    from seat_client.views.theme import apply_theme
    from seat_client.workstation.binding import show_state_everywhere

    app = QApplication.instance() or QApplication(["screenshots"])
    assert isinstance(app, QApplication)
    ensure_cjk_font(app)
    apply_theme(app)
    customer = _frame_from(resource_path("sandbox", "faces", "obama.jpg"), 1280, 720)
    teller = _frame_from(resource_path("sandbox", "faces", "astronaut.png"), 640, 480)

    def qimage(rgb: np.ndarray) -> QImage:
        h, w = rgb.shape[:2]
        return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()

    args.out.mkdir(parents=True, exist_ok=True)
    seat_labels = {
        "idle": ("ready", None),
        "ringing": ("reserved", None),
        "wrap_up": ("wrap_up", None),
    }
    renders = [(name, (1366, 768)) for name in STATES] + [("gates_passed", (1920, 1080))]
    for name, (width, height) in renders:
        window = MainWindow()
        window.resize(width, height)
        window.set_seat_name("T001", "张三")
        window.set_connection_status("connected")
        window.set_waiting(3)
        state = build_state(name, customer)
        seat_state, reason = seat_labels.get(name, ("in_call", None))
        window.set_seat_state(seat_state, reason)
        window.local_tile.set_image(qimage(teller))
        if name == "ringing":
            window.show_ringing("密码重置", "奥*马", 192, 30)
        elif name == "idle":
            window.show_idle("暂无来电")
        elif name != "wrap_up":
            window.show_in_call("密码重置", "奥*马")
            window.remote_tile.set_image(qimage(customer))
            window.set_quality("网络 RTT 38ms · 丢包 0.2% · 1450 kbps · 30 fps")
        else:
            window.show_idle("客户已挂断")
        show_state_everywhere(window, state)
        window.show()
        for _ in range(5):
            app.processEvents()
        suffix = "" if (width, height) == (1366, 768) else f"-{width}x{height}"
        path = args.out / f"{name.replace('_', '-')}{suffix}.png"
        window.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        window.close()
        window.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
