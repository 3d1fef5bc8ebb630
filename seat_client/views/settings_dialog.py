"""Settings dialog (设置): server, camera and its frame rate, microphone, speaker test, ring sound, UI language."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seat_client.i18n import LANGUAGES
from seat_client.workstation.texts import N_

CAMERA_CHOICES = (
    ("auto", N_("SettingsDialog", "自动(第一个摄像头)")),
    ("fake-pattern", N_("SettingsDialog", "测试画面")),
    ("0", N_("SettingsDialog", "摄像头 0")),
    ("1", N_("SettingsDialog", "摄像头 1")),
)
CAMERA_FPS_CHOICES = (
    ("30", N_("SettingsDialog", "30 帧/秒(标准)")),
    ("25", N_("SettingsDialog", "25 帧/秒")),
    ("20", N_("SettingsDialog", "20 帧/秒")),
    ("15", N_("SettingsDialog", "15 帧/秒(省电脑资源)")),
)
"""The teller's own video; the customer's is unaffected."""

MICROPHONE_CHOICES = (
    ("auto", N_("SettingsDialog", "自动(默认麦克风)")),
    ("fake-tone", N_("SettingsDialog", "测试音")),
    ("none", N_("SettingsDialog", "不使用麦克风")),
)


class SettingsDialog(QDialog):
    """Edits the seat's settings; the binder saves them (the server and devices apply at the next sign-in)."""

    speakerTestRequested = Signal()
    settingsAccepted = Signal(dict)
    """{server_url, camera, microphone, language (str), camera_fps (int), ring_sound (bool)}."""

    def __init__(self, values: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("设置"))
        self.server_edit = QLineEdit(values.get("server_url", ""))
        self.camera_combo = self._combo(self._translated(CAMERA_CHOICES), values.get("camera", "auto"))
        self.camera_fps_combo = self._combo(
            self._translated(CAMERA_FPS_CHOICES), str(values.get("camera_fps", 30)), editable=False
        )
        self.microphone_combo = self._combo(self._translated(MICROPHONE_CHOICES), values.get("microphone", "auto"))
        self.language_combo = self._combo(tuple(LANGUAGES.items()), values.get("language", "zh_CN"), editable=False)
        self.ring_check = QCheckBox(self.tr("来电时播放铃声"))
        self.ring_check.setChecked(bool(values.get("ring_sound", True)))
        self.speaker_button = QPushButton(self.tr("测试扬声器"))
        self.speaker_status = QLabel("")
        self.error_label = QLabel("")
        self.error_label.setObjectName("errorLabel")
        speaker = QHBoxLayout()
        speaker.addWidget(self.speaker_button)
        speaker.addWidget(self.speaker_status, 1)
        form = QFormLayout()
        form.addRow(self.tr("服务器地址"), self.server_edit)
        form.addRow(self.tr("摄像头"), self.camera_combo)
        form.addRow(self.tr("本人画面帧率"), self.camera_fps_combo)
        form.addRow(self.tr("麦克风"), self.microphone_combo)
        form.addRow(self.tr("扬声器"), speaker)
        form.addRow(self.tr("来电铃声"), self.ring_check)
        form.addRow(self.tr("界面语言"), self.language_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        # Qt's own words for these (OK/Cancel) need Qt's translations, which are not shipped: ours instead
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("确定"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("服务器与设备在下次签入时生效,界面语言在重新启动后生效。")))
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.speaker_button.clicked.connect(self.speakerTestRequested)

    @staticmethod
    def _translated(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((value, QCoreApplication.translate("SettingsDialog", label)) for value, label in choices)

    @staticmethod
    def _combo(choices: tuple[tuple[str, str], ...], current: str, *, editable: bool = True) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(editable)
        for value, label in choices:
            combo.addItem(label, value)
        index = combo.findData(current)
        if index >= 0:
            combo.setCurrentIndex(index)
        elif editable:
            combo.setEditText(current)
        return combo

    @staticmethod
    def _value(combo: QComboBox) -> str:
        index = combo.findText(combo.currentText())
        return str(combo.itemData(index)) if index >= 0 else combo.currentText().strip()

    def values(self) -> dict[str, Any]:
        """What the dialog holds now."""
        return {
            "server_url": self.server_edit.text().strip().rstrip("/"),
            "camera": self._value(self.camera_combo),
            "camera_fps": int(self.camera_fps_combo.currentData() or 30),
            "microphone": self._value(self.microphone_combo),
            "language": str(self.language_combo.currentData()),
            "ring_sound": self.ring_check.isChecked(),
        }

    def show_speaker_result(self, text: str) -> None:
        """What the speaker test did."""
        self.speaker_status.setText(text)

    def _accept(self) -> None:
        values = self.values()
        if not values["server_url"].startswith(("http://", "https://")):
            self.error_label.setText(self.tr("服务器地址应以 http:// 或 https:// 开头"))
            return
        self.error_label.setText("")
        self.settingsAccepted.emit(values)
        self.accept()
