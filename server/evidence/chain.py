"""The per-session evidence chain: every segment, snapshot, signature, gate result and business event, hash-linked.

Entry ``n`` stores ``prev_hash`` = hash of entry ``n-1`` (64 zeros for the first) and its own
``entry_hash = SHA-256(canonical JSON of {session_id, seq, kind, at, payload, prev_hash})``. At session end the
chain is sealed: a ``seal`` entry carries the server's Ed25519 signature over the head hash and entry count. After
the seal only ``access`` entries (who exported or verified the evidence, and why) may be appended; they are chained
too, so access records cannot be removed silently either.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from server.evidence.keys import ServerKeys

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
MANIFEST_VERSION = 1
SEAL_DOMAIN = b"videoteller-evidence-seal-v1\0"
KINDS = frozenset({"segment", "snapshot", "signature", "gate", "event", "seal", "access"})
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

TRAIL_EVENT_FIELD = "event_id"
"""Payload field of chain entries that mirror a row of the server database's ``session_events`` trail (its id)."""

RECORDING_DELETED = "recording_deleted"
"""``access`` action noting that a recording's segments were deleted after retention (``result`` = recording id);
the verifier then expects those files to be gone."""
_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]")


class EvidenceError(Exception):
    """The evidence chain refused an operation (e.g. appending to a sealed session)."""


def canonical_json(value: Any) -> bytes:
    """The canonical JSON encoding every hash and signature is computed over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(session_id: str, seq: int, kind: str, at: float, payload: dict[str, Any], prev_hash: str) -> str:
    """Hash of one chain entry."""
    body = {"session_id": session_id, "seq": seq, "kind": kind, "at": at, "payload": payload, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def seal_message(session_id: str, count: int, head_hash: str) -> bytes:
    """The bytes the seal signature covers."""
    return SEAL_DOMAIN + canonical_json({"session_id": session_id, "count": count, "head_hash": head_hash})


@dataclass(frozen=True)
class EvidenceEntry:
    """One link of the chain."""

    session_id: str
    seq: int
    kind: str
    at: float
    payload: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form (as in the manifest)."""
        return {
            "session_id": self.session_id,
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }


class EvidenceLedger:
    """Append-only evidence chains in ``<data_dir>/evidence.db``, blobs under ``<data_dir>/evidence/``.

    Args:
        data_dir: server data directory.
        keys: server keys (the seal key signs sealed chains).
        clock: epoch seconds.
    """

    def __init__(self, data_dir: Path, keys: ServerKeys, clock: Callable[[], float] = time.time) -> None:
        self.data_dir = Path(data_dir)
        self.blob_dir = self.data_dir / "evidence"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.keys = keys
        self.clock = clock
        self._lock = threading.RLock()
        conn = sqlite3.connect(self.data_dir / "evidence.db", check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        if "evidence_entries" not in self.db.table_names():
            self.db.table("evidence_entries").create(
                {
                    "session_id": str,
                    "seq": int,
                    "kind": str,
                    "at": float,
                    "payload": str,
                    "prev_hash": str,
                    "entry_hash": str,
                },
                pk=("session_id", "seq"),
            )

    # ---- appending ----

    def entries(self, session_id: str) -> list[EvidenceEntry]:
        """The chain of a session, in order (as stored: the verifier re-checks every hash)."""
        rows = self.db.query("select * from evidence_entries where session_id = ? order by seq", [session_id])
        return [
            EvidenceEntry(
                r["session_id"], r["seq"], r["kind"], r["at"], json.loads(r["payload"]), r["prev_hash"], r["entry_hash"]
            )
            for r in rows
        ]

    def _head(self, session_id: str) -> tuple[int, str, bool]:
        rows = list(
            self.db.query(
                "select seq, entry_hash from evidence_entries where session_id = ? order by seq desc limit 1",
                [session_id],
            )
        )
        sealed = bool(
            list(self.db.query("select 1 from evidence_entries where session_id = ? and kind = 'seal'", [session_id]))
        )
        if not rows:
            return -1, GENESIS, sealed
        return rows[0]["seq"], rows[0]["entry_hash"], sealed

    def append(self, session_id: str, kind: str, payload: dict[str, Any]) -> EvidenceEntry:
        """Appends an entry to a session's chain.

        Raises:
            EvidenceError: unknown kind, bad session id, or the session is sealed (only ``access`` may follow).
        """
        if kind not in KINDS:
            raise EvidenceError(f"unknown evidence kind {kind!r}")
        if not _SESSION_RE.match(session_id):
            raise EvidenceError("bad session id")
        payload = json.loads(canonical_json(payload))  # what is hashed is exactly what is stored
        with self._lock:
            seq, prev, sealed = self._head(session_id)
            if sealed and kind != "access":
                raise EvidenceError(f"会话 {session_id} 的证据链已封存，不能再追加 {kind}")
            at = round(self.clock(), 6)
            entry = EvidenceEntry(
                session_id, seq + 1, kind, at, payload, prev, entry_hash(session_id, seq + 1, kind, at, payload, prev)
            )
            self.db.table("evidence_entries").insert(
                {
                    "session_id": session_id,
                    "seq": entry.seq,
                    "kind": kind,
                    "at": at,
                    "payload": canonical_json(payload).decode(),
                    "prev_hash": prev,
                    "entry_hash": entry.entry_hash,
                }
            )
        return entry

    def add_segment(
        self, session_id: str, recording_id: str, segment_index: int, sha256: str, size: int, path: Path, meta: dict
    ) -> EvidenceEntry:
        """Links a stored encrypted segment (its ciphertext hash, order and duration)."""
        return self.append(
            session_id,
            "segment",
            {
                "recording_id": recording_id,
                "segment_index": segment_index,
                "sha256": sha256,
                "size": size,
                "path": str(Path(path).resolve().relative_to(self.data_dir.resolve())),
                "duration_s": meta.get("duration_s"),
                "start_s": meta.get("start_s"),
                "started_at": meta.get("started_at"),
                "plaintext_sha256": meta.get("plaintext_sha256"),
            },
        )

    def on_segment_stored(self, stored: Any) -> None:
        """Callback for ``RecordingStore(on_segment_stored=...)``: links a stored ``StoredSegment``."""
        self.add_segment(
            stored.session_id,
            stored.recording_id,
            stored.segment_index,
            stored.sha256,
            stored.size,
            stored.path,
            stored.meta,
        )

    def add_blob(
        self, session_id: str, kind: str, name: str, data: bytes, content_type: str, extra: dict | None = None
    ) -> EvidenceEntry:
        """Stores a snapshot or signature image and links its hash.

        Args:
            session_id: the session.
            kind: ``snapshot`` or ``signature``.
            name: what it is (e.g. ``id_card_front``, ``face_check``, ``customer_signature``).
            data: the bytes (stored as-is; encrypt before if the policy requires it).
            content_type: MIME type.
            extra: more payload fields (e.g. the gate it belongs to).
        """
        if kind not in ("snapshot", "signature"):
            raise EvidenceError("blobs are snapshots or signatures")
        digest = hashlib.sha256(data).hexdigest()
        folder = self.blob_dir / session_id / kind
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_NAME_RE.sub('_', name)[:48]}_{digest[:16]}"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
        payload = {
            "name": name,
            "sha256": digest,
            "size": len(data),
            "content_type": content_type,
            "path": str(path.relative_to(self.data_dir)),
            **(extra or {}),
        }
        return self.append(session_id, kind, payload)

    def add_gate_result(self, session_id: str, gate: str, result: dict[str, Any]) -> EvidenceEntry:
        """Links an identity gate outcome (联网核查, 人脸比对, 私密问题 ...); no unmasked personal data."""
        return self.append(session_id, "gate", {"gate": gate, "result": result})

    def add_event(self, session_id: str, event: str, detail: dict[str, Any] | None = None) -> EvidenceEntry:
        """Links a business event (call answered, business confirmed, call ended ...)."""
        return self.append(session_id, "event", {"event": event, "detail": detail or {}})

    def log_access(self, session_id: str, actor: str, action: str, purpose: str, result: str) -> EvidenceEntry:
        """Records an access to the evidence (verification, export) in the session's trail."""
        return self.append(
            session_id, "access", {"actor": actor, "action": action, "purpose": purpose, "result": result}
        )

    def seal(self, session_id: str) -> EvidenceEntry:
        """Seals the session's chain with the server's Ed25519 signature (at session end); idempotent.

        Raises:
            EvidenceError: nothing to seal.
        """
        with self._lock:
            existing = [e for e in self.entries(session_id) if e.kind == "seal"]
            if existing:
                return existing[0]
            seq, head, _sealed = self._head(session_id)
            if seq < 0:
                raise EvidenceError(f"会话 {session_id} 没有证据可封存")
            count = seq + 1
            signature = self.keys.seal_key.sign(seal_message(session_id, count, head))
            return self.append(
                session_id,
                "seal",
                {
                    "count": count,
                    "head_hash": head,
                    "signature": base64.b64encode(signature).decode(),
                    "key_id": self.keys.seal_key_id,
                    "public_key": base64.b64encode(self.keys.seal_public_raw).decode(),
                },
            )

    def manifest(self, session_id: str) -> dict[str, Any]:
        """The session's evidence manifest: all entries (the chain) plus the seal key."""
        return {
            "version": MANIFEST_VERSION,
            "session_id": session_id,
            "seal_public_key": base64.b64encode(self.keys.seal_public_raw).decode(),
            "entries": [e.as_dict() for e in self.entries(session_id)],
        }


def verify_chain(manifest: dict[str, Any], trusted_seal_key: Ed25519PublicKey) -> list[str]:
    """Checks a manifest's hash chain and seal; returns problems (empty when intact).

    Args:
        manifest: from :meth:`EvidenceLedger.manifest` (or a ``manifest.json`` of an export).
        trusted_seal_key: the server's seal public key, obtained out of band (not from the manifest).
    """
    problems: list[str] = []
    session_id = manifest.get("session_id", "")
    entries = manifest.get("entries", [])
    if not entries:
        return ["证据链为空 (empty chain)"]
    prev = GENESIS
    seal_seen = False
    for i, e in enumerate(entries):
        if e.get("seq") != i:
            problems.append(f"条目序号不连续：位置 {i} 为 {e.get('seq')} (sequence gap)")
        if e.get("session_id") != session_id:
            problems.append(f"条目 {i} 属于其他会话 (foreign entry)")
        if e.get("prev_hash") != prev:
            problems.append(f"条目 {i} 的前序哈希不匹配，链被改动 (prev_hash mismatch)")
        calc = entry_hash(session_id, e.get("seq", -1), e.get("kind", ""), e.get("at", 0), e.get("payload", {}), prev)
        if calc != e.get("entry_hash"):
            problems.append(f"条目 {i}（{e.get('kind')}）内容被篡改 (entry hash mismatch)")
        if seal_seen and e.get("kind") != "access":
            problems.append(f"封存后出现非访问条目 {i} (entry after seal)")
        if e.get("kind") == "seal":
            seal_seen = True
            payload = e.get("payload", {})
            if payload.get("count") != i or payload.get("head_hash") != prev:
                problems.append("封存范围与链不一致 (seal does not cover the chain)")
            try:
                trusted_seal_key.verify(
                    base64.b64decode(payload.get("signature", "")),
                    seal_message(session_id, payload.get("count", -1), payload.get("head_hash", "")),
                )
            except Exception:
                problems.append("服务器封存签名无效 (seal signature invalid)")
        prev = e.get("entry_hash", "")
    if not seal_seen:
        problems.append("证据链尚未封存 (chain not sealed)")
    return problems
