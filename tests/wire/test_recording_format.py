"""Encrypted segment format: round trip, tamper detection, wrong key."""

from __future__ import annotations

import io
import os
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from wire.recording_format import (
    RecordingKey,
    SegmentFormatError,
    SegmentWriter,
    WrongKeyError,
    decrypt_segment,
    encrypt_segment,
    read_header,
)


@pytest.fixture(scope="module")
def server_key() -> X25519PrivateKey:
    """The server's recording key pair (private half stays with the 'server' side of the test)."""
    return X25519PrivateKey.generate()


CHUNK = 4096


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    """Splits a segment file into its header and raw chunk records."""
    header = read_header(io.BytesIO(data))
    pos = len(header.raw)
    chunks = []
    while pos < len(data):
        _flag, ct_len = struct.unpack_from(">BI", data, pos)
        chunks.append(data[pos : pos + 5 + ct_len])
        pos += 5 + ct_len
    return header.raw, chunks


@pytest.fixture
def sealed(server_key: X25519PrivateKey) -> tuple[bytes, bytes]:
    key = RecordingKey.generate("rec-1", server_key.public_key())
    plain = os.urandom(CHUNK * 3 + 123)
    return plain, encrypt_segment(plain, key, 7, {"duration_s": 10.0}, chunk_size=CHUNK)


def test_round_trip_multi_chunk(server_key: X25519PrivateKey, sealed: tuple[bytes, bytes]) -> None:
    plain, data = sealed
    header, out = decrypt_segment(data, server_key)
    assert out == plain
    assert header.recording_id == "rec-1"
    assert header.segment_index == 7
    assert header.meta == {"duration_s": 10.0}
    _h, chunks = _chunks(data)
    assert len(chunks) == 4
    assert plain[:64] not in data


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK])
def test_round_trip_boundaries(server_key: X25519PrivateKey, size: int) -> None:
    key = RecordingKey.generate("rec-b", server_key.public_key())
    plain = os.urandom(size)
    out = io.BytesIO()
    writer = SegmentWriter(out, key, 0, {}, chunk_size=CHUNK)
    for i in range(0, size, 1000):
        writer.write(plain[i : i + 1000])
    writer.close()
    assert decrypt_segment(out.getvalue(), server_key)[1] == plain


def test_every_single_byte_flip_is_detected(server_key: X25519PrivateKey, sealed: tuple[bytes, bytes]) -> None:
    _plain, data = sealed
    positions = list(range(0, 220)) + list(range(len(data) - 40, len(data))) + [len(data) // 2]
    for pos in positions:
        bad = bytearray(data)
        bad[pos] ^= 0x01
        with pytest.raises(SegmentFormatError):
            decrypt_segment(bytes(bad), server_key)


def test_truncation_is_detected(server_key: X25519PrivateKey, sealed: tuple[bytes, bytes]) -> None:
    _plain, data = sealed
    header, chunks = _chunks(data)
    # Cut exactly at a chunk boundary (no final chunk) and in the middle of a chunk.
    with pytest.raises(SegmentFormatError, match="truncated"):
        decrypt_segment(header + b"".join(chunks[:-1]), server_key)
    with pytest.raises(SegmentFormatError):
        decrypt_segment(data[:-10], server_key)
    with pytest.raises(SegmentFormatError):
        decrypt_segment(data + b"\0", server_key)


def test_reordered_or_duplicated_chunks_are_detected(server_key: X25519PrivateKey, sealed: tuple[bytes, bytes]) -> None:
    _plain, data = sealed
    header, chunks = _chunks(data)
    with pytest.raises(SegmentFormatError):
        decrypt_segment(header + chunks[1] + chunks[0] + chunks[2] + chunks[3], server_key)
    with pytest.raises(SegmentFormatError):
        decrypt_segment(header + chunks[0] + chunks[0] + chunks[2] + chunks[3], server_key)
    # A non-final chunk falsely flagged final (to drop the tail) fails authentication.
    forged = bytearray(chunks[0])
    forged[0] = 1
    with pytest.raises(SegmentFormatError):
        decrypt_segment(header + bytes(forged), server_key)


def test_chunks_cannot_move_between_segments(server_key: X25519PrivateKey) -> None:
    key = RecordingKey.generate("rec-x", server_key.public_key())
    a = encrypt_segment(b"a" * 100, key, 0, {}, chunk_size=CHUNK)
    b = encrypt_segment(b"b" * 100, key, 1, {}, chunk_size=CHUNK)
    ha, _ca = _chunks(a)
    _hb, cb = _chunks(b)
    with pytest.raises(SegmentFormatError):
        decrypt_segment(ha + cb[0], server_key)


def test_wrong_key_fails(sealed: tuple[bytes, bytes]) -> None:
    _plain, data = sealed
    with pytest.raises(WrongKeyError):
        decrypt_segment(data, X25519PrivateKey.generate())


def test_destroyed_key_cannot_encrypt_more(server_key: X25519PrivateKey) -> None:
    key = RecordingKey.generate("rec-d", server_key.public_key())
    key.destroy()
    with pytest.raises(RuntimeError):
        encrypt_segment(b"x", key, 0, {})


def test_not_a_segment() -> None:
    with pytest.raises(SegmentFormatError):
        read_header(io.BytesIO(b"\0\0\0\x18ftypisom" + b"\0" * 100))
