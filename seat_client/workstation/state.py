"""``WorkstationState``: everything the teller's screen shows about the current call, without Qt.

The Qt service feeds it server messages and HTTP answers; the panels read it. Each change notifies the listeners
with the aspect that changed (``call``, ``gates``, ``script``, ``snapshots``, ``signature``, ``business``,
``timeline``, ``phase``) so a panel redraws only what concerns it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from seat_client.workstation.face_monitor import LiveFaceStatus, LiveFaceView
from seat_client.workstation.scripts import CallScript, render_text
from seat_client.workstation.signature import SignatureAssessment, assess_signature
from seat_client.workstation.snapshot import Snapshot
from seat_client.workstation.texts import N_, T, Text
from wire.signature import SignatureSubmission

logger = logging.getLogger(__name__)

FACE_THRESHOLD = 0.42
"""Default pass mark of each face pair (the server's gate config decides; shown when the snapshot has none)."""

GATE_LABELS = {
    "precheck": N_("Workstation", "受理前核验"),
    "network_check": N_("Workstation", "联网核查"),
    "face": N_("Workstation", "人脸比对"),
    "liveness": N_("Workstation", "活体检测"),
    "questions": N_("Workstation", "私密问题"),
}
FACE_PAIRS = (
    ("id_vs_live", N_("Workstation", "证件照 vs 现场")),
    ("network_vs_live", N_("Workstation", "联网照 vs 现场")),
    ("id_vs_network", N_("Workstation", "证件照 vs 联网照")),
)
GATE_VERDICTS = {
    "passed": N_("Workstation", "通过"),
    "failed": N_("Workstation", "未通过"),
    "running": N_("Workstation", "进行中"),
}

LIVE_FACE_WARNINGS = {
    LiveFaceStatus.NO_FACE: T("Workstation", "实时人脸:画面中没有人脸"),
    LiveFaceStatus.MULTIPLE_FACES: T("Workstation", "实时人脸:画面中有 {faces} 张人脸"),
    LiveFaceStatus.MISMATCH: T("Workstation", "实时人脸:与证件照相似度 {score:.2f},低于 {threshold:.2f}"),
}
"""Timeline lines when the live face monitor starts warning (the values come from :class:`LiveFaceView`)."""


def live_face_text(view: LiveFaceView | None) -> Text | None:
    """The customer tile's live-face badge (None: no badge).

    The monitor is advisory (实时参考): the gates are decided by the server on the photos it holds.
    """
    if view is None:
        return None
    status = view.status
    if status == LiveFaceStatus.WAITING:
        return T("Workstation", "实时人脸:检测中…")
    if status == LiveFaceStatus.UNAVAILABLE:
        return T("Workstation", "实时人脸不可用")
    if status == LiveFaceStatus.NO_FACE:
        return T("Workstation", "实时人脸 ⚠ 画面中没有人脸")
    if status == LiveFaceStatus.MULTIPLE_FACES:
        return T("Workstation", "实时人脸 ⚠ 画面中有 {faces} 张人脸").fmt(faces=view.faces)
    if status == LiveFaceStatus.ONE_FACE or view.score is None:
        return T("Workstation", "实时人脸:1 人(无证件照可比)")
    if status == LiveFaceStatus.MISMATCH:
        return T("Workstation", "实时人脸 ⚠ 相似度 {score:.2f} < {threshold:.2f}").fmt(
            score=view.score, threshold=view.threshold
        )
    return T("Workstation", "实时人脸 ✔ 相似度 {score:.2f}").fmt(score=view.score)


Listener = Callable[[str], None]


class Phase:
    """What the seat is doing, as the screen arranges itself."""

    IDLE = "idle"
    RINGING = "ringing"
    IN_CALL = "in_call"
    WRAP_UP = "wrap_up"


@dataclass(frozen=True)
class CallInfo:
    """The customer and business of the call (all identifiers already masked by the server)."""

    session_id: str
    business_type: str
    business_label: str
    customer_name: str = ""
    queued_at: dt.datetime | None = None
    star_level: int | None = None
    accounts: tuple[str, ...] = ()
    ocr_fields: tuple[tuple[str, str], ...] = ()
    """(label, value) from the ID card, masked."""
    id_portrait_jpeg: bytes | None = None


@dataclass(frozen=True)
class GateView:
    """One identity gate as the teller sees it (from the server's gate snapshot)."""

    gate: str
    label: str
    status: str
    attempts: int
    max_attempts: int
    scores: dict[str, float | None] = field(default_factory=dict)
    results: tuple[dict[str, Any], ...] = ()
    teller_message: str | None = None

    @property
    def failed(self) -> bool:
        """The gate failed (for good when no attempts are left)."""
        return self.status == "failed"

    @property
    def done(self) -> bool:
        """Passed or not required."""
        return self.status in ("passed", "not_required")


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the session timeline (``message`` translatable; ``text`` is it in Chinese)."""

    at: dt.datetime
    kind: str
    message: Text | str

    @property
    def text(self) -> str:
        """The line in Chinese (the source language)."""
        return str(self.message)


@dataclass
class SnapshotEntry:
    """A snapshot in the strip and whether the server has it."""

    snapshot: Snapshot
    uploaded: bool = False
    error: Text | str | None = None
    used_for_face: bool = False


@dataclass
class SignatureReviewState:
    """The signature under review."""

    state: str = "none"  # none | submitted | accepted | rejected
    attempt: int = 0
    submission: SignatureSubmission | None = None
    assessment: SignatureAssessment | None = None
    reason: str | None = None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WorkstationState:
    """The current call as the workstation shows it.

    Args:
        seat_id: the signed-in 工号 (used in scripts and watermarks).
        seat_name: the teller's name.
        clock: current UTC time (tests pass a fixed one).
    """

    def __init__(self, seat_id: str = "", seat_name: str = "", clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.seat_id = seat_id
        self.seat_name = seat_name
        self.clock = clock
        self.phase = Phase.IDLE
        self.call: CallInfo | None = None
        self.gates: list[GateView] = []
        self.gates_terminated = False
        self.gates_all_passed = False
        self.face_threshold = FACE_THRESHOLD
        self.questions: list[dict[str, Any]] = []
        """Private questions (私密问题) as the server shows them: question_id, prompt, choices (never the answer)."""
        self.script: CallScript | None = None
        self.script_values: dict[str, str] = {}
        self.step_index = 0
        self.steps_done: set[int] = set()
        self.snapshots: list[SnapshotEntry] = []
        self.signature = SignatureReviewState()
        self.business_result: tuple[bool, Text | str] | None = None
        self.timeline: list[TimelineEvent] = []
        self.wrap_up_deadline: dt.datetime | None = None
        self.wrap_up_notes = ""
        """The 话后小结 draft as the teller types it (sent when wrap-up ends, by the button or the countdown)."""
        self.wrap_up_problem: Text | None = None
        """Why wrap-up cannot end yet (notes too long), shown in the wrap-up panel."""
        self.notes_pending = 0
        """话后小结 kept on this PC and not yet stored by the server (they are retried)."""
        self.notes_refused = 0
        """话后小结 the server refused for good (kept on this PC, never lost)."""
        self.notes_status: Text | str | None = None
        """The latest news about sending 话后小结 (survives the end of wrap-up, unlike the call's panels)."""
        self.recording = False
        self.live_face: LiveFaceView | None = None
        """The live face monitor's view of the customer's picture (advisory; None when it is not running)."""
        self._listeners: list[Listener] = []

    # --- observers ---

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(aspect)`` after every change."""
        self._listeners.append(listener)

    def _changed(self, *aspects: str) -> None:
        for aspect in aspects:
            for listener in list(self._listeners):
                listener(aspect)

    def log(self, kind: str, text: Text | str, at: dt.datetime | None = None) -> None:
        """Add a timeline line (a :class:`Text` or a marked/server string; the timeline panel translates it)."""
        self.timeline.append(TimelineEvent(at or self.clock(), kind, text))
        self._changed("timeline")

    # --- call life ---

    def ring(self, call: CallInfo) -> None:
        """A call is offered (振铃)."""
        self._reset()
        self.call = call
        self.phase = Phase.RINGING
        if call.queued_at is not None:
            self.log(
                "queued", T("Workstation", "客户排队:{business}").fmt(business=call.business_label), call.queued_at
            )
        customer = call.customer_name or N_("Workstation", "客户")
        self.log("ringing", T("Workstation", "来电振铃:{customer}").fmt(customer=customer))
        self._changed("call", "phase", "gates", "script", "snapshots", "signature", "business")

    def answered(self, call: CallInfo | None = None) -> None:
        """The seat won the call."""
        if call is not None:
            self.call = call
        self.phase = Phase.IN_CALL
        self.log("answered", N_("Workstation", "已接听,建立视频连接"))
        self._changed("call", "phase")

    def update_call(self, **changes: Any) -> None:
        """Add details learned later (star level, accounts, OCR fields, portrait)."""
        if self.call is not None:
            self.call = replace(self.call, **changes)
            self._changed("call")

    def ended(self, message: str, wrap_up_s: float | None = None) -> None:
        """The call ended; wrap-up (话后整理) starts when ``wrap_up_s`` is given."""
        if self.phase == Phase.RINGING:
            self.log("withdrawn", message or N_("Workstation", "来电已取消"))
            self._reset()
            self.phase = Phase.IDLE
            self._changed("call", "phase", "gates", "script", "snapshots", "signature", "business")
            return
        self.log("hangup", message or N_("Workstation", "通话已结束"))
        self.recording = False
        if wrap_up_s:
            self.phase = Phase.WRAP_UP
            self.wrap_up_deadline = self.clock() + dt.timedelta(seconds=wrap_up_s)
        else:
            self.phase = Phase.IDLE
        self._changed("phase")

    def finish_wrap_up(self) -> None:
        """Back to idle after 话后整理; the call's panels are cleared."""
        self._reset()
        self.phase = Phase.IDLE
        self._changed("call", "phase", "gates", "script", "snapshots", "signature", "business", "timeline")

    def wrap_up_left_s(self) -> float:
        """Seconds of wrap-up left (0 when none)."""
        if self.wrap_up_deadline is None:
            return 0.0
        return max(0.0, (self.wrap_up_deadline - self.clock()).total_seconds())

    def set_recording(self, on: bool) -> None:
        """The 双录 indicator."""
        if on != self.recording:
            self.recording = on
            self.log("recording", N_("Workstation", "开始双录") if on else N_("Workstation", "双录已停止"))
            self._changed("phase")

    def _reset(self) -> None:
        self.call = None
        self.gates = []
        self.gates_terminated = False
        self.gates_all_passed = False
        self.questions = []
        self.script = None
        self.script_values = {}
        self.step_index = 0
        self.steps_done = set()
        self.snapshots = []
        self.signature = SignatureReviewState()
        self.business_result = None
        self.timeline = []
        self.wrap_up_deadline = None
        self.wrap_up_notes = ""
        self.wrap_up_problem = None
        self.recording = False
        self.live_face = None

    # --- live face monitor (实时人脸, advisory) ---

    def set_live_face(self, view: LiveFaceView | None) -> bool:
        """The monitor's latest view; a new warning, and the end of one, go to the timeline.

        Returns:
            Whether this view started or ended a warning (the service then reports it for the session trail).
        """
        previous, self.live_face = self.live_face, view
        logged = False
        if view is not None and self.phase == Phase.IN_CALL:
            was_warning = previous is not None and previous.warning
            if view.warning and (previous is None or previous.status != view.status):
                text = LIVE_FACE_WARNINGS[view.status].fmt(faces=view.faces, score=view.score, threshold=view.threshold)
                self.log("live_face", text)
                logged = True
            elif was_warning and view.status in (LiveFaceStatus.MATCH, LiveFaceStatus.ONE_FACE):
                self.log("live_face", N_("Workstation", "实时人脸:恢复正常"))
                logged = True
        self._changed("live_face")
        return logged

    # --- 话后小结 ---

    def set_wrap_up_draft(self, text: str) -> None:
        """The teller edited the notes (kept here so the countdown's end sends them too)."""
        self.wrap_up_notes = text
        if self.wrap_up_problem is not None:
            self.wrap_up_problem = None
            self._changed("wrap_up")

    def block_wrap_up(self, problem: Text) -> None:
        """Wrap-up cannot end yet (the notes are too long): the panel says why, the countdown stops."""
        self.wrap_up_problem = problem
        self._changed("wrap_up")

    def set_notes_outbox(self, pending: int, refused: int, status: Text | str | None = None) -> None:
        """How many 话后小结 wait on this PC, how many the server refused, and the latest news (None: unchanged)."""
        self.notes_pending, self.notes_refused = pending, refused
        if status is not None:
            self.notes_status = status
        self._changed("wrap_up")

    # --- identity gates (the server decides; this only shows) ---

    def apply_gate_snapshot(self, snapshot: dict[str, Any], teller_message: str | None = None) -> None:
        """Take the server's gate snapshot (``GET /api/sessions/{id}/gates`` or a ``gate_update``)."""
        before = {g.gate: g.status for g in self.gates}
        views = []
        for g in snapshot.get("gates", []):
            name = str(g.get("gate", ""))
            views.append(
                GateView(
                    name,
                    str(g.get("label") or GATE_LABELS.get(name, name)),
                    str(g.get("status", "pending")),
                    int(g.get("attempts") or 0),
                    int(g.get("max_attempts") or 0),
                    dict(g.get("scores") or {}),
                    tuple(g.get("results") or ()),
                    g.get("teller_message"),
                )
            )
        self.gates = views
        self.gates_terminated = bool(snapshot.get("terminated"))
        self.gates_all_passed = bool(snapshot.get("all_passed")) and not self.gates_terminated
        face = next((v for v in views if v.gate == "face"), None)
        threshold = snapshot.get("face_threshold")
        if face is not None and face.results and isinstance(face.results[-1].get("threshold"), int | float):
            threshold = face.results[-1]["threshold"]
        if isinstance(threshold, int | float):
            self.face_threshold = float(threshold)
        questions = snapshot.get("questions")
        self.questions = [dict(q) for q in questions if isinstance(q, dict)] if isinstance(questions, list) else []
        for view in views:
            if before.get(view.gate) != view.status and view.status in GATE_VERDICTS:
                line = T("Workstation", "{gate}{verdict} 第{attempt}/{max_attempts}次").fmt(
                    gate=view.label,
                    verdict=GATE_VERDICTS[view.status],
                    attempt=view.attempts,
                    max_attempts=view.max_attempts,
                )
                if view.status == "failed" and view.teller_message:
                    line = T("Workstation", "{line}({detail})").fmt(line=line, detail=view.teller_message)
                self.log(f"gate.{view.gate}", line)
        if teller_message and not any(v.teller_message == teller_message for v in views):
            self.log("gate", teller_message)
        self._changed("gates", "business")

    def question_marks(self) -> dict[str, bool | None]:
        """question_id -> correct (True/False) or None (not answered yet), from the questions gate's last result."""
        gate = self.gate("questions")
        last = gate.results[-1] if gate and gate.results else {}
        marks = last.get("results") if isinstance(last, dict) else None
        return {str(k): v for k, v in marks.items()} if isinstance(marks, dict) else {}

    def gate(self, name: str) -> GateView | None:
        """One gate's view."""
        return next((g for g in self.gates if g.gate == name), None)

    @property
    def failed_gate(self) -> GateView | None:
        """The gate that ended acceptance (or failed last), if any."""
        failed = [g for g in self.gates if g.failed]
        return failed[0] if failed else None

    @property
    def business_allowed(self) -> bool:
        """Whether the business form may be submitted (every gate passed, none failed; the server checks again)."""
        return self.phase == Phase.IN_CALL and self.gates_all_passed and self.failed_gate is None

    @property
    def business_block_reason(self) -> str:
        """Why the business form is disabled (Chinese), or ''."""
        return str(self.business_block_text)

    @property
    def business_block_text(self) -> Text | str:
        """Why the business form is disabled (translatable), or ''."""
        if self.phase != Phase.IN_CALL:
            return N_("Workstation", "通话未建立")
        failed = self.failed_gate
        if failed is not None:
            return T("Workstation", "{gate}未通过,不能办理业务").fmt(gate=failed.label)
        if not self.gates_all_passed:
            return N_("Workstation", "身份核验尚未全部通过")
        return ""

    # --- 话术 ---

    def set_script(self, script: CallScript, values: dict[str, str]) -> None:
        """The session's script with the values to fill in."""
        self.script = script
        self.script_values = dict(values)
        self.step_index = 0
        self.steps_done = set()
        self._changed("script")

    def step_text(self, index: int) -> str:
        """The filled-in text of step ``index``."""
        assert self.script is not None
        return render_text(self.script.steps[index].text, self.script_values)

    def next_step(self) -> None:
        """Tick the current step and highlight the next one (the last step stays highlighted once ticked)."""
        if self.script is None:
            return
        self.steps_done.add(self.step_index)
        self.log("script", T("Workstation", "话术:{step} 已完成").fmt(step=self.script.steps[self.step_index].title))
        if self.step_index < len(self.script.steps) - 1:
            self.step_index += 1
        self._changed("script")

    def go_to_step(self, index: int) -> None:
        """Highlight another step (the teller clicked it)."""
        if self.script is not None and 0 <= index < len(self.script.steps):
            self.step_index = index
            self._changed("script")

    # --- 抓拍 ---

    def add_snapshot(self, snapshot: Snapshot) -> SnapshotEntry:
        """A new capture in the strip (not yet uploaded)."""
        entry = SnapshotEntry(snapshot)
        self.snapshots.append(entry)
        self.log(
            "snapshot",
            T("Workstation", "抓拍 {snapshot_id}({width}x{height})").fmt(
                snapshot_id=snapshot.snapshot_id, width=snapshot.width, height=snapshot.height
            ),
        )
        self._changed("snapshots")
        return entry

    def snapshot_uploaded(self, snapshot_id: str, error: Text | str | None = None) -> None:
        """The server stored the snapshot (or refused it with ``error``)."""
        for entry in self.snapshots:
            if entry.snapshot.snapshot_id == snapshot_id:
                entry.uploaded, entry.error = error is None, error
                self.log(
                    "snapshot",
                    T("Workstation", "抓拍 {snapshot_id} 已存证").fmt(snapshot_id=snapshot_id)
                    if error is None
                    else T("Workstation", "抓拍 {snapshot_id} 上传失败:{error}").fmt(
                        snapshot_id=snapshot_id, error=error
                    ),
                )
        self._changed("snapshots")

    def mark_used_for_face(self, snapshot_id: str) -> None:
        """A capture was sent as the live face for comparison."""
        for entry in self.snapshots:
            entry.used_for_face = entry.snapshot.snapshot_id == snapshot_id
        self.log("snapshot", T("Workstation", "抓拍 {snapshot_id} 用作现场人脸").fmt(snapshot_id=snapshot_id))
        self._changed("snapshots")

    # --- 签名 ---

    def signature_submitted(self, submission: SignatureSubmission, attempt: int) -> None:
        """The customer signed; the teller reviews it."""
        if self.signature.state == "submitted" and self.signature.attempt == attempt:
            return
        assessment = assess_signature(submission)
        self.signature = SignatureReviewState("submitted", attempt, submission, assessment)
        line = T("Workstation", "客户已签名 第{attempt}次").fmt(attempt=attempt)
        for warning in assessment.warnings if assessment.flagged else ():
            line = T("Workstation", "{line}({detail})").fmt(line=line, detail=warning)
        self.log("signature", line)
        self._changed("signature")

    def signature_decided(self, accepted: bool, reason: str = "") -> None:
        """The server recorded the teller's decision."""
        self.signature = replace(self.signature, state="accepted" if accepted else "rejected", reason=reason or None)
        self.log(
            "signature",
            N_("Workstation", "签名已确认并存证")
            if accepted
            else T("Workstation", "签名已退回,请客户重签:{reason}").fmt(reason=reason),
        )
        self._changed("signature")

    # --- business ---

    def business_done(self, ok: bool, message: Text | str) -> None:
        """The server's answer to the business submit."""
        self.business_result = (ok, message)
        line = T("Workstation", "业务办理成功:{message}") if ok else T("Workstation", "业务办理失败:{message}")
        self.log("business", line.fmt(message=message))
        self._changed("business")

    @property
    def focus_panel(self) -> str:
        """The panel the current step needs: customer, verification, signature, business or wrap_up."""
        if self.phase == Phase.WRAP_UP:
            return "wrap_up"
        if self.phase in (Phase.IDLE, Phase.RINGING):
            return "customer"
        if not self.gates_all_passed or self.failed_gate is not None:
            return "verification"
        if self.signature.state == "submitted":
            return "signature"
        return "business"
