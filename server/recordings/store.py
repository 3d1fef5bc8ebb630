"""Server-side recording store (录像存储): resumable uploads, stored encrypted segments and retention rules.

Uploads follow the tus model: an upload is created with its declared length and whole-file SHA-256, bytes are
appended at the current offset (each chunk carries its own SHA-256), and completion verifies the whole file before
the segment is stored. Partial uploads live on disk with their committed offsets in SQLite, so they survive server
restarts. The store never decrypts anything: segments stay encrypted at rest.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from server.recordings.retention import RetentionPolicy
from wire.recording_format import FILE_SUFFIX, SegmentFormatError, read_header

logger = logging.getLogger(__name__)

MAX_SEGMENT_BYTES = 2 * 1024**3
MAX_CHUNK_BYTES = 32 * 1024 * 1024
RUNNING_HASHES = 1024
"""Uploads whose whole-file SHA-256 is kept running in memory (beyond that, completion reads the file back)."""
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class UploadError(Exception):
    """A rejected upload request; ``status`` is the HTTP status the router answers with.

    Attributes:
        status: HTTP status code.
        code: stable machine-readable code.
        message: Chinese message for the teller/operator (with English in brackets for logs).
        offset: the committed offset, when relevant.
    """

    def __init__(self, status: int, code: str, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.offset = offset


class RetentionError(Exception):
    """Deletion refused: the retention period has not passed or a legal hold is set."""


@dataclass(frozen=True)
class UploadState:
    """Where an upload stands."""

    upload_id: str
    recording_id: str
    segment_index: int
    length: int
    offset: int
    sha256: str
    complete: bool


@dataclass(frozen=True)
class StoredSegment:
    """An encrypted segment accepted into the store."""

    recording_id: str
    session_id: str
    seat_id: str
    segment_index: int
    sha256: str
    size: int
    path: Path
    meta: dict[str, Any]


@dataclass(frozen=True)
class RecordingRow:
    """A recording and its retention state."""

    recording_id: str
    session_id: str
    seat_id: str
    business_type: str
    created_at: float
    retain_until: float
    legal_hold: bool
    legal_hold_reason: str
    deleted_at: float | None


class ChunkWriter:
    """One chunk of an upload being received (from :meth:`RecordingStore.begin_chunk`); blocking methods.

    :meth:`write` puts bytes at their place in the partial file and hashes them (the chunk's SHA-256 and the
    upload's running whole-file SHA-256); :meth:`commit` checks the chunk's SHA-256, truncates and fsyncs the file,
    and only then commits the new offset. Bytes past the committed offset never count: a chunk that fails its
    check, breaks off or is never committed is overwritten by the next one. Always :meth:`close` it.
    """

    def __init__(
        self,
        store: RecordingStore,
        upload_id: str,
        offset: int,
        length: int,
        expected: bytes,
        fd: int,
        file_hash: Any,
    ) -> None:
        self.store = store
        self.upload_id = upload_id
        self.offset = offset
        self.length = length
        self.expected = expected
        self.file_hash = file_hash
        self.written = 0
        self._fd: int | None = fd
        self._hash = hashlib.sha256()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Writes the next bytes of the chunk.

        Raises:
            UploadError: 413 past the declared file length or the chunk size limit.
        """
        if self._fd is None:
            raise UploadError(409, "chunk_closed", "上传块已结束 (chunk closed)", self.offset)
        size = len(data)
        if self.written + size > MAX_CHUNK_BYTES:
            raise UploadError(413, "chunk_too_large", "上传块过大 (chunk too large)")
        if self.offset + self.written + size > self.length:
            raise UploadError(413, "beyond_length", "上传数据超出声明的文件长度 (beyond declared length)", self.offset)
        view = memoryview(data)
        position = self.offset + self.written
        while view:
            done = os.pwrite(self._fd, view, position)
            view = view[done:]
            position += done
        self._hash.update(data)
        if self.file_hash is not None:
            self.file_hash.update(data)
        self.written += size

    def commit(self) -> int:
        """Checks the chunk, makes it durable, commits the offset; returns the new committed offset.

        Raises:
            UploadError: 460 checksum mismatch (chunk discarded); 409 the upload changed meanwhile.
        """
        if self._fd is None:
            raise UploadError(409, "chunk_closed", "上传块已结束 (chunk closed)", self.offset)
        if self._hash.digest() != self.expected:
            raise UploadError(
                460,
                "checksum_mismatch",
                "上传块校验失败，已丢弃，请重新发送该块 (chunk sha256 mismatch, chunk discarded)",
            )
        os.ftruncate(self._fd, self.offset + self.written)
        os.fsync(self._fd)
        return self.store._commit_chunk(self)

    def close(self) -> None:
        """Closes the file and lets the next chunk of this upload in (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self.store._release(self.upload_id)


class RecordingStore:
    """Durable storage for uploads and encrypted segments under ``data_dir``.

    Args:
        data_dir: server data directory; uses ``recordings.db`` and ``recordings/`` inside it.
        retention: retention periods per business type.
        on_segment_stored: called after a segment is stored (e.g. to append it to the evidence chain).
        clock: epoch seconds (injectable for retention tests).
        session_business_type: optional lookup of a session's business type from the server's own records; when
            given it overrides what the seat declared (retention must not depend on the client's word).
    """

    def __init__(
        self,
        data_dir: Path,
        retention: RetentionPolicy | None = None,
        on_segment_stored: Callable[[StoredSegment], None] | None = None,
        clock: Callable[[], float] = time.time,
        session_business_type: Callable[[str], str | None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "recordings"
        self.partial_dir = self.root / "partial"
        self.store_dir = self.root / "store"
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.retention = retention or RetentionPolicy()
        self.on_segment_stored = on_segment_stored
        self.clock = clock
        self.session_business_type = session_business_type
        self._lock = threading.RLock()
        self._busy: set[str] = set()
        self._running: collections.OrderedDict[str, tuple[int, Any]] = collections.OrderedDict()
        conn = sqlite3.connect(self.data_dir / "recordings.db", check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            if "uploads" not in self.db.table_names():
                self.db.table("uploads").create(
                    {
                        "upload_id": str,
                        "seat_id": str,
                        "recording_id": str,
                        "session_id": str,
                        "segment_index": int,
                        "business_type": str,
                        "length": int,
                        "sha256": str,
                        "offset": int,
                        "created_at": float,
                        "completed_at": float,
                    },
                    pk="upload_id",
                    not_null={"seat_id", "recording_id", "segment_index", "length", "sha256", "offset"},
                )
                self.db.table("uploads").create_index(["recording_id", "segment_index"], unique=True)
            if "recordings" not in self.db.table_names():
                self.db.table("recordings").create(
                    {
                        "recording_id": str,
                        "session_id": str,
                        "seat_id": str,
                        "business_type": str,
                        "created_at": float,
                        "retain_until": float,
                        "legal_hold": int,
                        "legal_hold_reason": str,
                        "deleted_at": float,
                    },
                    pk="recording_id",
                )
                self.db.table("recordings").create_index(["session_id"])
            if "segments" not in self.db.table_names():
                self.db.table("segments").create(
                    {
                        "recording_id": str,
                        "segment_index": int,
                        "session_id": str,
                        "seat_id": str,
                        "sha256": str,
                        "size": int,
                        "path": str,
                        "meta": str,
                        "stored_at": float,
                    },
                    pk=("recording_id", "segment_index"),
                )
                self.db.table("segments").create_index(["session_id"])

    # ---- uploads ----

    def _row(self, upload_id: str) -> dict[str, Any]:
        if not _ID_RE.match(upload_id):
            raise UploadError(404, "upload_not_found", "上传任务不存在 (upload not found)")
        rows = list(self.db.query("select * from uploads where upload_id = ?", [upload_id]))
        if not rows:
            raise UploadError(404, "upload_not_found", "上传任务不存在 (upload not found)")
        return rows[0]

    def _owned(self, upload_id: str, seat_id: str) -> dict[str, Any]:
        row = self._row(upload_id)
        if row["seat_id"] != seat_id:
            raise UploadError(403, "upload_forbidden", "无权访问该上传任务 (upload belongs to another seat)")
        return row

    @staticmethod
    def _state(row: dict[str, Any]) -> UploadState:
        return UploadState(
            row["upload_id"],
            row["recording_id"],
            row["segment_index"],
            row["length"],
            row["offset"],
            row["sha256"],
            row["completed_at"] is not None,
        )

    def _partial_path(self, upload_id: str) -> Path:
        return self.partial_dir / f"{upload_id}.part"

    def segment_path(self, recording_id: str, segment_index: int) -> Path:
        """Where a stored segment lives."""
        return self.store_dir / recording_id / f"{segment_index:05d}{FILE_SUFFIX}"

    def create_upload(
        self,
        seat_id: str,
        recording_id: str,
        session_id: str,
        segment_index: int,
        length: int,
        sha256: str,
        business_type: str = "",
    ) -> UploadState:
        """Creates (or finds again) the upload of one segment; idempotent per (recording, segment).

        Raises:
            UploadError: invalid fields, a different file already declared for this segment, or another seat's.
        """
        sha256 = sha256.lower()
        if not _ID_RE.match(recording_id) or not _ID_RE.match(session_id):
            raise UploadError(400, "bad_id", "录像编号或会话编号格式错误 (bad recording/session id)")
        if not _SHA_RE.match(sha256):
            raise UploadError(400, "bad_sha256", "文件校验值格式错误 (sha256 must be 64 hex digits)")
        if segment_index < 0 or segment_index > 1_000_000:
            raise UploadError(400, "bad_index", "分段序号错误 (bad segment index)")
        if not 0 < length <= MAX_SEGMENT_BYTES:
            raise UploadError(413, "too_large", "录像分段大小超出限制 (declared length out of range)")
        with self._lock:
            rows = list(
                self.db.query(
                    "select * from uploads where recording_id = ? and segment_index = ?", [recording_id, segment_index]
                )
            )
            if rows:
                row = rows[0]
                if row["seat_id"] != seat_id:
                    raise UploadError(403, "upload_forbidden", "该录像属于其他坐席 (recording belongs to another seat)")
                if row["sha256"] == sha256 and row["length"] == length:
                    return self._state(row)
                if row["completed_at"] is not None:
                    raise UploadError(
                        409, "segment_exists", "该录像分段已存储且内容不同，拒绝覆盖 (stored segment differs)"
                    )
                # An unfinished upload of a different file for the same segment: the seat re-encrypted it
                # (e.g. after a crash); start over with the new declaration.
                logger.warning("recording %s segment %d: upload redeclared", recording_id, segment_index)
                self._partial_path(row["upload_id"]).unlink(missing_ok=True)
                self._running.pop(row["upload_id"], None)
                self.db.table("uploads").delete(row["upload_id"])
            upload_id = uuid.uuid4().hex
            self._partial_path(upload_id).touch()
            self.db.table("uploads").insert(
                {
                    "upload_id": upload_id,
                    "seat_id": seat_id,
                    "recording_id": recording_id,
                    "session_id": session_id,
                    "segment_index": segment_index,
                    "business_type": business_type,
                    "length": length,
                    "sha256": sha256,
                    "offset": 0,
                    "created_at": self.clock(),
                    "completed_at": None,
                }
            )
            return self._state(self._row(upload_id))

    def get_upload(self, upload_id: str, seat_id: str) -> UploadState:
        """The committed state of an upload."""
        with self._lock:
            return self._state(self._owned(upload_id, seat_id))

    def begin_chunk(
        self, upload_id: str, seat_id: str, offset: int, chunk_sha256: bytes, length: int | None = None
    ) -> ChunkWriter:
        """Starts receiving a chunk at ``offset``: its bytes go to the partial file as they arrive (see
        :class:`ChunkWriter`); nothing counts until :meth:`ChunkWriter.commit` has checked and fsync'ed them.

        One chunk at a time per upload: a second one while the first is being received is refused (409).

        Args:
            upload_id: the upload.
            seat_id: the seat sending it (must own the upload).
            offset: where the chunk goes (must be the committed offset).
            chunk_sha256: the chunk's SHA-256 as the seat declared it.
            length: the chunk's length when known in advance (``Content-Length``): refused early if too long.

        Raises:
            UploadError: 409 offset mismatch (with the current offset), busy or complete; 413 too long; 404/403.
        """
        if length is not None and length > MAX_CHUNK_BYTES:
            raise UploadError(413, "chunk_too_large", "上传块过大 (chunk too large)")
        with self._lock:
            row = self._owned(upload_id, seat_id)
            if row["completed_at"] is not None:
                raise UploadError(409, "already_complete", "该分段已上传完成 (upload complete)", row["length"])
            if offset != row["offset"]:
                raise UploadError(
                    409, "offset_mismatch", f"上传位置不一致，服务器已接收 {row['offset']} 字节", row["offset"]
                )
            if length is not None and offset + length > row["length"]:
                raise UploadError(413, "beyond_length", "上传数据超出声明的文件长度 (beyond declared length)", offset)
            if upload_id in self._busy:
                raise UploadError(409, "upload_busy", "该分段正在上传另一块，请稍后重试 (chunk in progress)", offset)
            running = self._running.get(upload_id)
            file_hash = running[1].copy() if running is not None and running[0] == offset else None
            if file_hash is None and offset == 0:
                file_hash = hashlib.sha256()
            fd = os.open(self._partial_path(upload_id), os.O_WRONLY | os.O_CREAT, 0o600)
            self._busy.add(upload_id)
        return ChunkWriter(self, upload_id, offset, row["length"], chunk_sha256, fd, file_hash)

    def _release(self, upload_id: str) -> None:
        with self._lock:
            self._busy.discard(upload_id)

    def _commit_chunk(self, writer: ChunkWriter) -> int:
        """Commits a verified, fsync'ed chunk's offset (called by :meth:`ChunkWriter.commit`)."""
        new_offset = writer.offset + writer.written
        with self._lock:
            rows = list(self.db.query("select offset from uploads where upload_id = ?", [writer.upload_id]))
            if not rows or rows[0]["offset"] != writer.offset:
                # Redeclared (or reset) while this chunk was arriving: it belongs to nothing any more.
                raise UploadError(409, "upload_changed", "上传任务已变更，请重新查询上传位置 (upload changed)")
            self.db.execute("update uploads set offset = ? where upload_id = ?", [new_offset, writer.upload_id])
            if writer.file_hash is not None:
                self._running[writer.upload_id] = (new_offset, writer.file_hash)
                self._running.move_to_end(writer.upload_id)
                while len(self._running) > RUNNING_HASHES:
                    self._running.popitem(last=False)
        return new_offset

    def append_chunk(
        self, upload_id: str, seat_id: str, offset: int, data: bytes | bytearray, chunk_sha256: bytes
    ) -> int:
        """Appends a chunk at ``offset`` after checking its SHA-256; returns the new committed offset.

        The bytes are written and fsync'ed before the offset is committed in SQLite, so a crash in between leaves
        the old offset (and extra bytes that the next append overwrites).

        Raises:
            UploadError: 409 offset mismatch (with the current offset), 460 checksum mismatch, 413 beyond the
                declared length, 404/403.
        """
        writer = self.begin_chunk(upload_id, seat_id, offset, chunk_sha256, len(data))
        try:
            writer.write(data)
            return writer.commit()
        finally:
            writer.close()

    def complete_upload(self, upload_id: str, seat_id: str) -> StoredSegment:
        """Verifies the whole file and stores the segment; idempotent once stored.

        Raises:
            UploadError: 409 not all bytes received; 422 whole-file hash mismatch (the upload is reset to 0) or the
                file is not a segment of this recording.
        """
        with self._lock:
            row = self._owned(upload_id, seat_id)
            rec_id, index = row["recording_id"], row["segment_index"]
            if row["completed_at"] is not None:
                return self._stored(rec_id, index)
            if row["offset"] != row["length"]:
                raise UploadError(
                    409, "incomplete", f"分段尚未上传完整（{row['offset']}/{row['length']} 字节）", row["offset"]
                )
            final = self.segment_path(rec_id, index)
            path = self._partial_path(upload_id)
            if not path.exists() and final.exists():
                # A crash after the move into the store but before the database insert: finish from there.
                path = final
            running = self._running.pop(upload_id, None)
            if running is not None and running[0] == row["length"] and path != final:
                # Hashed as the chunks were received and fsync'ed: the bytes on disk are exactly these.
                digest = running[1].hexdigest()
            else:  # after a server restart (or chunks written by an older server): read it back
                hasher = hashlib.sha256()
                try:
                    with open(path, "rb") as fp:
                        for block in iter(lambda: fp.read(1024 * 1024), b""):
                            hasher.update(block)
                except FileNotFoundError:
                    pass
                digest = hasher.hexdigest()
            if digest != row["sha256"]:
                self._partial_path(upload_id).write_bytes(b"")
                self.db.table("uploads").update(upload_id, {"offset": 0})
                raise UploadError(
                    422,
                    "file_checksum_mismatch",
                    "整个文件校验失败，已重置，请从头重新上传 (whole-file sha256 mismatch)",
                    0,
                )
            try:
                with open(path, "rb") as fp:
                    header = read_header(fp)
            except SegmentFormatError as exc:
                raise UploadError(422, "not_a_segment", f"文件不是有效的录像分段：{exc}") from exc
            if header.recording_id != rec_id or header.segment_index != index:
                raise UploadError(422, "header_mismatch", "录像分段头与上传声明不一致 (header/declaration mismatch)")
            final.parent.mkdir(parents=True, exist_ok=True)
            if path != final:
                os.replace(path, final)
                _fsync_dir(final.parent)
            now = self.clock()
            meta = dict(header.meta)
            # One transaction (one WAL fsync) for the recording, the segment and the upload's completion: all of
            # it is durable before the seat hears "stored".
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._ensure_recording(row, now)
                conn.execute(
                    "insert or replace into segments (recording_id, segment_index, session_id, seat_id, sha256, "
                    "size, path, meta, stored_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        rec_id,
                        index,
                        row["session_id"],
                        row["seat_id"],
                        row["sha256"],
                        row["length"],
                        str(final.relative_to(self.data_dir)),
                        json.dumps(meta, sort_keys=True, ensure_ascii=False),
                        now,
                    ],
                )
                conn.execute("update uploads set completed_at = ? where upload_id = ?", [now, upload_id])
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            stored = self._stored(rec_id, index)
        logger.info("session %s: recording %s segment %d stored", stored.session_id, rec_id, index)
        if self.on_segment_stored is not None:
            try:
                self.on_segment_stored(stored)
            except Exception:
                # The segment is safely stored and acknowledged either way; the callback's owner must reconcile.
                logger.exception("session %s: on_segment_stored failed for %s#%d", stored.session_id, rec_id, index)
        return stored

    def _ensure_recording(self, upload: dict[str, Any], now: float) -> None:
        conn = self.db.conn
        if conn.execute("select 1 from recordings where recording_id = ?", [upload["recording_id"]]).fetchone():
            return
        business_type = upload["business_type"] or ""
        if self.session_business_type is not None:
            business_type = self.session_business_type(upload["session_id"]) or business_type
        conn.execute(
            "insert into recordings (recording_id, session_id, seat_id, business_type, created_at, retain_until, "
            "legal_hold, legal_hold_reason, deleted_at) values (?, ?, ?, ?, ?, ?, 0, '', NULL)",
            [
                upload["recording_id"],
                upload["session_id"],
                upload["seat_id"],
                business_type,
                now,
                now + self.retention.seconds_for(business_type),
            ],
        )

    def _stored(self, recording_id: str, segment_index: int) -> StoredSegment:
        rows = list(
            self.db.query(
                "select * from segments where recording_id = ? and segment_index = ?", [recording_id, segment_index]
            )
        )
        if not rows:
            raise UploadError(404, "segment_not_found", "录像分段不存在 (segment not found)")
        r = rows[0]
        return StoredSegment(
            r["recording_id"],
            r["session_id"],
            r["seat_id"],
            r["segment_index"],
            r["sha256"],
            r["size"],
            self.data_dir / r["path"],
            json.loads(r["meta"]),
        )

    # ---- queries ----

    def segments_for_session(self, session_id: str) -> list[StoredSegment]:
        """Stored segments of a session, in (recording, index) order."""
        with self._lock:
            rows = list(
                self.db.query(
                    "select recording_id, segment_index from segments where session_id = ? "
                    "order by recording_id, segment_index",
                    [session_id],
                )
            )
            return [self._stored(r["recording_id"], r["segment_index"]) for r in rows]

    def recordings_for_session(self, session_id: str) -> list[str]:
        """Ids of the recordings of a session that have at least one stored segment."""
        with self._lock:
            rows = self.db.query(
                "select recording_id from recordings where session_id = ? order by created_at", [session_id]
            )
            return [r["recording_id"] for r in rows]

    def missing_segments(self, recording_id: str) -> list[int] | None:
        """Indexes still missing before the recording's final segment; None while the final one is unknown."""
        with self._lock:
            rows = list(
                self.db.query("select segment_index, meta from segments where recording_id = ?", [recording_id])
            )
        indexes = {r["segment_index"] for r in rows}
        finals = [r["segment_index"] for r in rows if json.loads(r["meta"]).get("final")]
        if not finals:
            return None
        return [i for i in range(finals[0] + 1) if i not in indexes]

    def recording_complete(self, recording_id: str) -> bool:
        """True once the final segment and every segment before it are stored."""
        return self.missing_segments(recording_id) == []

    def recording(self, recording_id: str) -> RecordingRow:
        """A recording's retention state."""
        with self._lock:
            rows = list(self.db.query("select * from recordings where recording_id = ?", [recording_id]))
        if not rows:
            raise KeyError(recording_id)
        r = rows[0]
        return RecordingRow(
            r["recording_id"],
            r["session_id"],
            r["seat_id"],
            r["business_type"],
            r["created_at"],
            r["retain_until"],
            bool(r["legal_hold"]),
            r["legal_hold_reason"] or "",
            r["deleted_at"],
        )

    # ---- retention ----

    def set_legal_hold(self, recording_id: str, hold: bool, reason: str = "") -> None:
        """Sets or clears a legal hold (司法冻结); a held recording cannot be deleted at any age."""
        if hold and not reason.strip():
            raise ValueError("设置法律保全必须填写原因 (a legal hold needs a reason)")
        with self._lock:
            self.recording(recording_id)
            self.db.table("recordings").update(recording_id, {"legal_hold": int(hold), "legal_hold_reason": reason})
        logger.warning("recording %s legal hold %s (%s)", recording_id, "set" if hold else "cleared", reason)

    def delete_recording(self, recording_id: str) -> int:
        """Deletes a recording's segments once its retention has passed; returns the number of files removed.

        Raises:
            RetentionError: still within retention, or under legal hold.
            KeyError: unknown recording.
        """
        with self._lock:
            rec = self.recording(recording_id)
            if rec.deleted_at is not None:
                return 0
            if rec.legal_hold:
                raise RetentionError(f"录像处于法律保全状态，禁止删除（{rec.legal_hold_reason}）")
            now = self.clock()
            if now < rec.retain_until:
                days = (rec.retain_until - now) / 86400
                raise RetentionError(f"录像未到保存期限（业务 {rec.business_type}，还需保存 {days:.0f} 天），禁止删除")
            removed = 0
            for row in list(self.db.query("select path from segments where recording_id = ?", [recording_id])):
                path = self.data_dir / row["path"]
                if path.exists():
                    path.unlink()
                    removed += 1
            shutil.rmtree(self.store_dir / recording_id, ignore_errors=True)
            self.db.table("recordings").update(recording_id, {"deleted_at": now})
        logger.warning("recording %s deleted after retention (%d files)", recording_id, removed)
        return removed

    def purge_expired(self) -> list[str]:
        """Deletes every recording past retention and not on hold; returns their ids."""
        now = self.clock()
        with self._lock:
            ids = [
                r["recording_id"]
                for r in self.db.query(
                    "select recording_id from recordings "
                    "where deleted_at is null and legal_hold = 0 and retain_until <= ?",
                    [now],
                )
            ]
        for rid in ids:
            self.delete_recording(rid)
        return ids


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
