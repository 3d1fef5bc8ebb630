"""Routing messages: transfer and consult (seat -> server), call_transferred and consult_status (server -> seat)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import wire

SID = "session-0001"


@pytest.mark.parametrize("kind", ["transfer", "consult_invite"])
@pytest.mark.parametrize("target", [{"queue_id": "corporate"}, {"seat_id": "T002"}])
def test_one_target_parses(kind: str, target: dict[str, str]) -> None:
    message = wire.parse_seat_message(json.dumps({"type": kind, "session_id": SID, **target}))
    assert isinstance(message, wire.SeatTransfer if kind == "transfer" else wire.SeatConsultInvite)
    assert (message.queue_id or message.seat_id) == next(iter(target.values()))


@pytest.mark.parametrize("kind", ["transfer", "consult_invite"])
@pytest.mark.parametrize("target", [{}, {"queue_id": "retail", "seat_id": "T002"}, {"queue_id": ""}])
def test_no_target_or_two_targets_are_refused_in_chinese(kind: str, target: dict[str, str]) -> None:
    with pytest.raises(wire.ProtocolError) as caught:
        wire.parse_seat_message(json.dumps({"type": kind, "session_id": SID, **target}))
    assert caught.value.code == "invalid_message" and "消息格式错误" in caught.value.message


def test_customer_cannot_send_a_transfer() -> None:
    with pytest.raises(wire.ProtocolError):
        wire.parse_customer_message(json.dumps({"type": "transfer", "session_id": SID, "queue_id": "retail"}))


def test_server_to_seat_routing_messages_round_trip() -> None:
    for message in (
        wire.CallTransferred(session_id=SID, queue_id="corporate", message="已转接至对公业务"),
        wire.ConsultStatus(session_id=SID, status="joined", seat_id="T002", seat_name="专家", message="已加入"),
        wire.CallOffered(
            session_id=SID,
            business_type="password_reset",
            business_label="密码重置",
            queued_at=datetime(2026, 11, 21, tzinfo=UTC),
            ring_timeout_s=15,
            offer_kind="consult",
            invited_by="T001",
        ),
    ):
        assert wire.parse_server_to_seat(wire.dump_message(message)) == message
    with pytest.raises(wire.ProtocolError):
        wire.parse_server_to_seat(
            json.dumps({"type": "consult_status", "session_id": SID, "status": "maybe", "seat_id": "x", "message": "m"})
        )


def test_offer_kind_defaults_to_customer_for_older_senders() -> None:
    raw = json.dumps(
        {
            "type": "call_offered",
            "session_id": SID,
            "business_type": "password_reset",
            "business_label": "密码重置",
            "queued_at": "2026-11-21T08:00:00+00:00",
            "ring_timeout_s": 20,
        }
    )
    offered = wire.parse_server_to_seat(raw)
    assert (offered.offer_kind, offered.invited_by) == ("customer", None)
