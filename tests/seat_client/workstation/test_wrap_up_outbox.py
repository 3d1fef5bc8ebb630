"""The 话后小结 outbox (Qt-free): kept on disk before sending, retried or kept as refused, never lost."""

from __future__ import annotations

import json
from pathlib import Path

from seat_client.workstation.wrap_up import (
    MAX_CONFLICT_ATTEMPTS,
    WrapUpOutbox,
    notes_length_problem,
)
from wire.wrap_up import WRAP_UP_NOTES_MAX_CHARS


def test_notes_are_on_disk_before_sending_and_gone_once_stored(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "outbox.json"
    outbox = WrapUpOutbox(path)
    item = outbox.add("sess-1", "T001", "  客户忘记密码,已重置  ")
    assert item.notes == "客户忘记密码,已重置" and len(item.note_id) == 32
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk[0]["notes"] == "客户忘记密码,已重置" and on_disk[0]["session_id"] == "sess-1"

    again = WrapUpOutbox(path)  # a restart reads them back
    assert [i.note_id for i in again.pending("T001")] == [item.note_id]
    assert again.pending("T002") == []  # another teller's sign-in does not send them
    again.sent(item.note_id)
    assert WrapUpOutbox(path).items() == []


def test_failures_keep_the_note_and_refusals_stop_the_retries(tmp_path: Path) -> None:
    outbox = WrapUpOutbox(tmp_path / "outbox.json")
    offline = outbox.add("s1", "T001", "网络断开时写的")
    refused = outbox.add("s2", "T001", "别人的通话")
    conflict = outbox.add("s3", "T001", "服务器尚未结束通话")

    assert outbox.failed(offline.note_id, "无法连接服务器,请稍后重试", None).refused is False  # type: ignore[union-attr]
    assert outbox.failed(offline.note_id, "服务器拒绝了请求(HTTP 503)", 503).refused is False  # type: ignore[union-attr]
    assert outbox.failed(refused.note_id, "该会话不由本坐席受理", 403).refused is True  # type: ignore[union-attr]
    for _ in range(MAX_CONFLICT_ATTEMPTS - 1):
        assert outbox.failed(conflict.note_id, "通话尚未结束", 409).refused is False  # type: ignore[union-attr]
    assert outbox.failed(conflict.note_id, "通话尚未结束", 409).refused is True  # type: ignore[union-attr]

    reread = WrapUpOutbox(outbox.path)
    assert [i.session_id for i in reread.pending("T001")] == ["s1"]
    kept = {i.session_id: i for i in reread.refused("T001")}
    assert set(kept) == {"s2", "s3"} and kept["s2"].notes == "别人的通话" and kept["s2"].last_error
    assert reread.pending("T001")[0].attempts == 2
    assert outbox.failed("unknown", "x", 500) is None


def test_an_unreadable_file_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "outbox.json"
    path.write_text("{not json", encoding="utf-8")
    outbox = WrapUpOutbox(path)
    assert outbox.items() == []
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("outbox.json.unreadable-")]
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == "{not json"
    outbox.add("s1", "T001", "新的小结")
    assert len(WrapUpOutbox(path).items()) == 1


def test_length_limit_message_is_chinese_and_counts_trimmed_text() -> None:
    assert notes_length_problem("字" * WRAP_UP_NOTES_MAX_CHARS + "   ") is None
    problem = notes_length_problem("字" * (WRAP_UP_NOTES_MAX_CHARS + 5))
    assert str(problem) == (
        f"话后小结不能超过 {WRAP_UP_NOTES_MAX_CHARS} 字(当前 {WRAP_UP_NOTES_MAX_CHARS + 5} 字),请精简后再提交"
    )
