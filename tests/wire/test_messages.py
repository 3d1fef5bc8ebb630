"""The wire protocol accepts what each side may send and refuses the rest with a Chinese message."""

import json

import pytest

import wire


def test_seat_answer_parses() -> None:
    msg = wire.parse_seat_message(json.dumps({"type": "answer_call", "session_id": "abcdefgh12"}))
    assert isinstance(msg, wire.SeatAnswerCall)
    assert msg.session_id == "abcdefgh12"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{", "malformed_json"),
        ("[1, 2]", "invalid_message"),
        ('{"type": "no_such_type"}', "invalid_message"),
        ('{"type": "sdp", "sdp_type": "offer"}', "invalid_message"),
        ('{"type": "answer_call", "session_id": "abcdefgh12"}', "invalid_message"),  # a seat-only message
        ("x" * (wire.MAX_MESSAGE_BYTES + 1), "too_large"),
    ],
)
def test_customer_side_refuses_bad_input(raw: str, code: str) -> None:
    with pytest.raises(wire.ProtocolError) as info:
        wire.parse_customer_message(raw)
    assert info.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.message), "message must be Chinese"


def test_missing_field_is_named() -> None:
    with pytest.raises(wire.ProtocolError) as info:
        wire.parse_customer_message('{"type": "sdp", "sdp_type": "offer"}')
    assert "sdp" in info.value.message


def test_extra_fields_refused() -> None:
    with pytest.raises(wire.ProtocolError):
        wire.parse_seat_message('{"type": "set_state", "state": "ready", "evil": 1}')


def test_seat_cannot_set_server_owned_states() -> None:
    with pytest.raises(wire.ProtocolError):
        wire.parse_seat_message('{"type": "set_state", "state": "in_call"}')


def test_round_trip_server_messages() -> None:
    status = wire.QueueStatus(session_id="abcdefgh12", position=2, waiting=3, estimated_wait_s=40.0)
    assert wire.parse_server_to_customer(wire.dump_message(status)) == status
    ended = wire.CallEnded(session_id="abcdefgh12", reason=wire.EndReason.SEAT_HANGUP, message="坐席已挂断")
    assert wire.parse_server_to_seat(wire.dump_message(ended)) == ended
    assert "坐席已挂断" in wire.dump_message(ended)


def test_business_labels_are_chinese() -> None:
    assert wire.business_label("password_reset") == "密码重置"
    assert wire.business_label("unknown") == "unknown"
    assert len(wire.BUSINESS_TYPES) == len(wire.BusinessType)
