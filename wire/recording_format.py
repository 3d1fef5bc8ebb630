"""Encrypted recording segment file format v1 (双录分段文件), shared by the seat (writer) and the server (reader).

Every segment of a recording is one self-contained file that only the server can open.

Key management:
    * The seat draws a random 256-bit data key (DEK) per recording and wraps it for the server's X25519 public key
      (an ECIES "sealed box"): an ephemeral X25519 key pair is generated per recording, the shared secret with the
      server key goes through HKDF-SHA256 (salt = ephemeral public || server public) to a key-encryption key that
      encrypts the DEK with AES-256-GCM. The seat keeps neither the ephemeral private key nor the DEK after the
      recording ends, so it cannot read back what it recorded; a stolen disk holds only ciphertext.
    * Each segment gets its own content key ``HKDF-SHA256(DEK, info="vt-seg-v1" || recording id || segment index)``
      so nonces never repeat across segments even with the same DEK.

File layout (all integers big-endian)::

    magic           4   b"VTRS"
    version         1   1
    suite           1   1 = X25519-HKDF-SHA256 key wrap, AES-256-GCM content
    header_len      4   length of the header body that follows
    header body:
      chunk_size    4   plaintext bytes per chunk (all chunks but the final one are exactly this long)
      key_id        8   first 8 bytes of SHA-256(server X25519 public key), to pick the right server key
      eph_pub      32   ephemeral X25519 public key of the recording
      wrapped_dek  48   AES-256-GCM(KEK, nonce=0^12, DEK, aad=recording id) (32 bytes + 16-byte tag)
      nonce_prefix  7   random per segment
      segment_index 4
      rec_id_len    1   + recording id (UTF-8, <= 64 bytes)
      meta_len      4   + metadata JSON (UTF-8): authenticated, NOT encrypted: never put personal data in it
    chunks, each:
      flag          1   0 = more chunks follow, 1 = final chunk
      ct_len        4   ciphertext length (plaintext length + 16)
      ciphertext        AES-256-GCM(segment key, nonce, plaintext, aad = the whole header (magic..meta))

The nonce of chunk ``i`` is ``nonce_prefix(7) || i (4 bytes) || flag (1 byte)`` (the STREAM construction of Hoang et
al.), so a chunk moved, dropped, duplicated or falsely marked final fails authentication; a file that ends without a
final chunk or has bytes after it is rejected as truncated/extended. Any change of the header fails every chunk.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"VTRS"
VERSION = 1
SUITE_X25519_AESGCM = 1
DEFAULT_CHUNK_SIZE = 256 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
FILE_SUFFIX = ".vtseg"
TAG_LEN = 16
_WRAP_INFO = b"videoteller/recording-key-wrap/v1"
_SEG_INFO = b"vt-seg-v1"
_FIXED_HEADER = struct.Struct(">4sBBI")
_CHUNK_HEAD = struct.Struct(">BI")


class SegmentFormatError(ValueError):
    """The file is not a valid segment, was modified, truncated or reordered, or the key is wrong."""


class WrongKeyError(SegmentFormatError):
    """The segment was sealed for a different server key, or the key unwrap failed."""


def key_id_of(public_key: X25519PublicKey) -> bytes:
    """The 8-byte identifier of a server recording public key (SHA-256 prefix of its raw bytes)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8]


def load_public_key(raw_or_pem: bytes) -> X25519PublicKey:
    """Loads a server recording public key given as 32 raw bytes or PEM."""
    if len(raw_or_pem) == 32:
        return X25519PublicKey.from_public_bytes(raw_or_pem)
    key = serialization.load_pem_public_key(raw_or_pem)
    if not isinstance(key, X25519PublicKey):
        raise ValueError("录像公钥必须是 X25519 公钥 (recording public key must be X25519)")
    return key


def _hkdf(secret: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


@dataclass
class RecordingKey:
    """The per-recording data key and its wrapped form; lives only in the seat's memory while recording.

    Attributes:
        recording_id: the recording this key belongs to.
        key_id: identifier of the server public key the DEK is wrapped for.
        eph_pub: raw ephemeral X25519 public key.
        wrapped_dek: the DEK encrypted for the server.
    """

    recording_id: str
    key_id: bytes
    eph_pub: bytes
    wrapped_dek: bytes
    _dek: bytearray | None = field(default=None, repr=False)

    @classmethod
    def generate(cls, recording_id: str, server_public_key: X25519PublicKey) -> RecordingKey:
        """Draws a random DEK and wraps it for ``server_public_key``."""
        _check_recording_id(recording_id)
        dek = bytearray(os.urandom(32))
        eph = X25519PrivateKey.generate()
        eph_pub = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        srv_pub = server_public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kek = _hkdf(eph.exchange(server_public_key), eph_pub + srv_pub, _WRAP_INFO)
        # The KEK is single-use (fresh ephemeral key), so a fixed nonce is safe here.
        wrapped = AESGCM(kek).encrypt(b"\0" * 12, bytes(dek), recording_id.encode())
        return cls(recording_id, key_id_of(server_public_key), eph_pub, wrapped, dek)

    def segment_key(self, segment_index: int) -> bytes:
        """The content key of one segment."""
        if self._dek is None:
            raise RuntimeError("recording key already destroyed")
        return _derive_segment_key(bytes(self._dek), self.recording_id, segment_index)

    def destroy(self) -> None:
        """Forgets the DEK (best effort: overwrites the buffer); the seat can no longer encrypt or decrypt."""
        if self._dek is not None:
            for i in range(len(self._dek)):
                self._dek[i] = 0
            self._dek = None


def _derive_segment_key(dek: bytes, recording_id: str, segment_index: int) -> bytes:
    return _hkdf(dek, None, _SEG_INFO + recording_id.encode() + struct.pack(">I", segment_index))


def _check_recording_id(recording_id: str) -> None:
    raw = recording_id.encode()
    if not 1 <= len(raw) <= 64:
        raise ValueError("recording id must be 1..64 bytes")


@dataclass(frozen=True)
class SegmentHeader:
    """The parsed, authenticated-but-public header of a segment file."""

    recording_id: str
    segment_index: int
    chunk_size: int
    key_id: bytes
    eph_pub: bytes
    wrapped_dek: bytes
    nonce_prefix: bytes
    meta: dict[str, Any]
    raw: bytes

    def encode(self) -> bytes:
        """The exact header bytes (also the AAD of every chunk)."""
        return self.raw


def _build_header(key: RecordingKey, segment_index: int, chunk_size: int, meta: dict[str, Any]) -> SegmentHeader:
    if not 1024 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError("chunk size out of range")
    nonce_prefix = os.urandom(7)
    rid = key.recording_id.encode()
    meta_raw = json.dumps(meta, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    body = (
        struct.pack(">I", chunk_size)
        + key.key_id
        + key.eph_pub
        + key.wrapped_dek
        + nonce_prefix
        + struct.pack(">IB", segment_index, len(rid))
        + rid
        + struct.pack(">I", len(meta_raw))
        + meta_raw
    )
    raw = _FIXED_HEADER.pack(MAGIC, VERSION, SUITE_X25519_AESGCM, len(body)) + body
    return SegmentHeader(
        key.recording_id, segment_index, chunk_size, key.key_id, key.eph_pub, key.wrapped_dek, nonce_prefix, meta, raw
    )


def read_header(fp: BinaryIO) -> SegmentHeader:
    """Reads and parses a segment header (no key needed; nothing is authenticated until a chunk is opened).

    Raises:
        SegmentFormatError: not a segment file, unknown version, or malformed header.
    """
    fixed = fp.read(_FIXED_HEADER.size)
    if len(fixed) != _FIXED_HEADER.size:
        raise SegmentFormatError("文件过短，不是录像分段 (file too short)")
    magic, version, suite, body_len = _FIXED_HEADER.unpack(fixed)
    if magic != MAGIC:
        raise SegmentFormatError("不是录像分段文件 (bad magic)")
    if version != VERSION or suite != SUITE_X25519_AESGCM:
        raise SegmentFormatError(f"不支持的录像分段版本 (version {version}, suite {suite})")
    if body_len > 1024 * 1024:
        raise SegmentFormatError("header too long")
    body = fp.read(body_len)
    if len(body) != body_len:
        raise SegmentFormatError("文件头被截断 (truncated header)")
    try:
        (chunk_size,) = struct.unpack_from(">I", body, 0)
        key_id = body[4:12]
        eph_pub = body[12:44]
        wrapped = body[44:92]
        nonce_prefix = body[92:99]
        segment_index, rid_len = struct.unpack_from(">IB", body, 99)
        pos = 104
        rid = body[pos : pos + rid_len].decode()
        pos += rid_len
        (meta_len,) = struct.unpack_from(">I", body, pos)
        pos += 4
        meta_raw = body[pos : pos + meta_len]
        if pos + meta_len != body_len or len(meta_raw) != meta_len:
            raise SegmentFormatError("header length mismatch")
        meta = json.loads(meta_raw.decode())
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SegmentFormatError(f"文件头损坏 (malformed header: {exc})") from exc
    if not 1024 <= chunk_size <= MAX_CHUNK_SIZE:
        raise SegmentFormatError("chunk size out of range")
    return SegmentHeader(rid, segment_index, chunk_size, key_id, eph_pub, wrapped, nonce_prefix, meta, fixed + body)


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if final else 0)


class SegmentWriter:
    """Streams plaintext into an encrypted segment file object; nothing unencrypted is ever written.

    Args:
        fp: binary file object to write the encrypted segment to.
        key: the recording key.
        segment_index: index of this segment within the recording (0-based).
        meta: public metadata stored in the header (no personal data).
        chunk_size: plaintext bytes per chunk.
    """

    def __init__(
        self,
        fp: BinaryIO,
        key: RecordingKey,
        segment_index: int,
        meta: dict[str, Any],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._fp = fp
        self.header = _build_header(key, segment_index, chunk_size, meta)
        self._aead = AESGCM(key.segment_key(segment_index))
        self._buf = bytearray()
        self._index = 0
        self._closed = False
        fp.write(self.header.raw)

    def write(self, data: bytes) -> None:
        """Adds plaintext; full chunks are encrypted and written immediately."""
        if self._closed:
            raise ValueError("segment writer closed")
        self._buf += data
        size = self.header.chunk_size
        # Keep at least one byte back so the last chunk written is always the final one.
        pos = 0
        with memoryview(self._buf) as view:
            while len(self._buf) - pos > size:
                self._emit(bytes(view[pos : pos + size]), final=False)
                pos += size
        if pos:
            del self._buf[:pos]

    def close(self) -> None:
        """Writes the final chunk (possibly empty)."""
        if self._closed:
            return
        self._emit(bytes(self._buf), final=True)
        self._buf.clear()
        self._closed = True

    def _emit(self, plain: bytes, final: bool) -> None:
        ct = self._aead.encrypt(_nonce(self.header.nonce_prefix, self._index, final), plain, self.header.raw)
        self._fp.write(_CHUNK_HEAD.pack(1 if final else 0, len(ct)))
        self._fp.write(ct)
        self._index += 1


def encrypt_segment(
    plaintext: bytes, key: RecordingKey, segment_index: int, meta: dict[str, Any], chunk_size: int = DEFAULT_CHUNK_SIZE
) -> bytes:
    """Encrypts a whole in-memory segment and returns the file bytes."""
    out = io.BytesIO()
    writer = SegmentWriter(out, key, segment_index, meta, chunk_size)
    writer.write(plaintext)
    writer.close()
    return out.getvalue()


def unwrap_dek(header: SegmentHeader, server_private_key: X25519PrivateKey) -> bytes:
    """Recovers the recording DEK with the server's private key.

    Raises:
        WrongKeyError: the segment was not sealed for this key or the wrapped key was altered.
    """
    pub = server_private_key.public_key()
    if key_id_of(pub) != header.key_id:
        raise WrongKeyError("录像密钥不匹配：该分段不是用此服务器密钥加密的 (key id mismatch)")
    srv_pub = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        eph = X25519PublicKey.from_public_bytes(header.eph_pub)
        kek = _hkdf(server_private_key.exchange(eph), header.eph_pub + srv_pub, _WRAP_INFO)
        return AESGCM(kek).decrypt(b"\0" * 12, header.wrapped_dek, header.recording_id.encode())
    except (InvalidTag, ValueError) as exc:
        raise WrongKeyError("无法解开录像密钥 (key unwrap failed)") from exc


def iter_decrypt(fp: BinaryIO, server_private_key: X25519PrivateKey) -> Iterator[bytes]:
    """Yields the plaintext chunks of a segment, authenticating each; raises at the first problem.

    Raises:
        WrongKeyError: wrong server key.
        SegmentFormatError: modified, truncated, reordered or extended file.
    """
    header = read_header(fp)
    dek = unwrap_dek(header, server_private_key)
    aead = AESGCM(_derive_segment_key(dek, header.recording_id, header.segment_index))
    index = 0
    max_ct = header.chunk_size + TAG_LEN
    while True:
        head = fp.read(_CHUNK_HEAD.size)
        if len(head) == 0:
            raise SegmentFormatError("录像分段被截断：缺少结束块 (truncated: no final chunk)")
        if len(head) != _CHUNK_HEAD.size:
            raise SegmentFormatError("录像分段被截断 (truncated chunk header)")
        flag, ct_len = _CHUNK_HEAD.unpack(head)
        if flag not in (0, 1) or ct_len < TAG_LEN or ct_len > max_ct or (flag == 0 and ct_len != max_ct):
            raise SegmentFormatError(f"录像分段块 {index} 格式错误 (bad chunk framing)")
        ct = fp.read(ct_len)
        if len(ct) != ct_len:
            raise SegmentFormatError("录像分段被截断 (truncated chunk)")
        try:
            plain = aead.decrypt(_nonce(header.nonce_prefix, index, flag == 1), ct, header.raw)
        except InvalidTag as exc:
            raise SegmentFormatError(
                f"录像分段块 {index} 校验失败：文件被篡改或顺序错误 (chunk {index} failed)"
            ) from exc
        yield plain
        index += 1
        if flag == 1:
            if fp.read(1):
                raise SegmentFormatError("录像分段结束块之后还有数据 (data after final chunk)")
            return


def decrypt_segment(data: bytes, server_private_key: X25519PrivateKey) -> tuple[SegmentHeader, bytes]:
    """Decrypts a whole segment held in memory and returns its header and plaintext."""
    header = read_header(io.BytesIO(data))
    plain = b"".join(iter_decrypt(io.BytesIO(data), server_private_key))
    return header, plain
