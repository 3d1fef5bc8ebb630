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


def test_gate_messages_round_trip_in_their_own_direction() -> None:
    from datetime import UTC, datetime

    seat = wire.SeatGateUpdate(
        session_id="abcdefgh12",
        gate="face",
        status="pending",
        attempt=1,
        teller_message="人脸比对未达阈值 0.42:证件照与现场人像",
        retry_allowed=True,
        snapshot={"current_gate": "face", "gates": []},
    )
    assert wire.parse_server_to_seat(wire.dump_message(seat)) == seat
    customer = wire.CustomerGateUpdate(session_id="abcdefgh12", gate="face", status="pending", message="请正对摄像头")
    parsed = wire.parse_server_to_customer(wire.dump_message(customer))
    assert parsed == customer and "teller_message" not in wire.dump_message(customer)
    capture = wire.CaptureRequest(session_id="abcdefgh12", request_id="r1")
    assert wire.parse_server_to_customer(wire.dump_message(capture)) == capture
    challenge = wire.LivenessChallengeMessage(
        session_id="abcdefgh12",
        challenge_id="c1",
        actions=["blink", "turn_left"],
        prompts=["请眨眨眼", "请缓慢向左转头"],
        expires_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    )
    assert wire.parse_server_to_customer(wire.dump_message(challenge)) == challenge
    prompt = wire.LivenessPrompt(session_id="abcdefgh12", challenge_id="c1", step=1, prompt="请缓慢向左转头")
    assert wire.parse_server_to_customer(wire.dump_message(prompt)) == prompt
    # a customer's page is never sent the teller's view, and a seat never the customer's capture requests
    with pytest.raises(wire.ProtocolError):
        wire.parse_server_to_customer(wire.dump_message(seat))
    with pytest.raises(wire.ProtocolError):
        wire.parse_server_to_seat(wire.dump_message(capture))
    # nobody may send a gate result to the server
    with pytest.raises(wire.ProtocolError):
        wire.parse_seat_message(wire.dump_message(seat))
    with pytest.raises(wire.ProtocolError):
        wire.parse_customer_message(wire.dump_message(customer))


def test_ticket_request_needs_a_precheck_id() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        wire.CreateTicketRequest.model_validate({"business_type": "password_reset"})
    request = wire.CreateTicketRequest.model_validate({"business_type": "password_reset", "precheck_id": "p" * 32})
    assert request.precheck_id == "p" * 32
    assert wire.QuestionAnswerRequest(choice_index=None).choice_index is None
    with pytest.raises(ValidationError):
        wire.QuestionAnswerRequest.model_validate({"choice_index": 1, "correct": True})
