"""The 转接 button and dialog as views: enabled only in a call, queue list or typed id, signal on 确定 only."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from seat_client.views.call_panel import CallPanel
from seat_client.views.transfer_dialog import TransferDialog


def test_button_only_in_a_call_and_dialog_emits_the_typed_queue(qtbot: QtBot) -> None:
    panel = CallPanel()
    qtbot.addWidget(panel)
    sent: list[tuple[str, str]] = []
    panel.transferRequested.connect(lambda kind, target: sent.append((kind, target)))
    assert not panel.transfer_button.isEnabled()
    panel.open_transfer_dialog()
    assert panel.transfer_dialog is None  # idle: no dialog
    panel.show_ringing("密码重置", "李*华", 3.0, 15.0)
    assert not panel.transfer_button.isEnabled()
    panel.show_in_call("密码重置", "李*华")
    assert panel.transfer_button.isEnabled()

    panel.transfer_button.click()
    dialog = panel.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.to_queue.click()
    assert not dialog.has_queue_list and dialog.queue_edit.isEnabled() and not dialog.ok_button.isEnabled()
    dialog.queue_edit.setText("  corporate ")
    dialog.ok_button.click()
    assert sent == [("queue", "corporate")]

    panel.transfer_button.click()  # opened again: fresh, 取消 sends nothing
    assert dialog.isVisible() and dialog.seat_edit.text() == "" and dialog.to_seat.isChecked()
    dialog.seat_edit.setText("teller_b")
    dialog.cancel_button.click()
    assert not dialog.isVisible() and sent == [("queue", "corporate")]

    panel.transfer_button.click()  # the call ends while the dialog is open: it closes and the button is disabled
    dialog.seat_edit.setText("teller_b")
    panel.show_idle("已转接至坐席 坐席乙")
    assert not dialog.isVisible() and not panel.transfer_button.isEnabled()
    assert sent == [("queue", "corporate")]


def test_known_queues_are_listed(qtbot: QtBot) -> None:
    sent: list[tuple[str, str]] = []
    dialog = TransferDialog([("retail", "个人业务"), ("corporate", "对公业务")])
    qtbot.addWidget(dialog)
    dialog.transferRequested.connect(lambda kind, target: sent.append((kind, target)))
    dialog.show()
    assert dialog.has_queue_list and dialog.queue_combo.isVisibleTo(dialog)
    assert not dialog.queue_edit.isVisibleTo(dialog)
    assert dialog.queue_combo.itemText(1) == "对公业务 (corporate)"
    dialog.to_queue.click()
    dialog.queue_combo.setCurrentIndex(1)
    assert dialog.target() == ("queue", "corporate")
    dialog.to_seat.click()
    assert dialog.target() is None and not dialog.ok_button.isEnabled()
    dialog.seat_edit.setText("teller_b")
    dialog.ok_button.click()
    assert sent == [("seat", "teller_b")]
