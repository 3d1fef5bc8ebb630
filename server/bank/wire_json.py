"""JSON forms of the bank adapter values, shared by the HTTP adapter and the contract app (docs/bank-adapters.md)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from server.bank.adapters import (
    Account,
    AccountStatus,
    BankError,
    BlacklistHit,
    BlacklistKind,
    BusinessResult,
    Customer,
    NetworkCheckResult,
    NetworkCheckVerdict,
    QuestionItem,
)

__all__ = [
    "ERROR_STATUS",
    "account_from_json",
    "account_to_json",
    "customer_from_json",
    "customer_to_json",
    "hit_from_json",
    "hit_to_json",
    "network_from_json",
    "network_to_json",
    "question_from_json",
    "question_to_json",
    "result_from_json",
    "result_to_json",
]

ERROR_STATUS: dict[str, int] = {
    "bad_request": 400,
    "rejected": 400,
    "unauthorized": 401,
    "not_found": 404,
    "internal": 500,
    "unavailable": 503,
    "timeout": 504,
}
"""HTTP status for each error code of the contract."""


class BadResponse(BankError):
    """The bank answered something that does not follow the contract."""

    code = "bad_response"


def _require(data: Any, *keys: str) -> dict[str, Any]:
    if not isinstance(data, dict) or any(k not in data for k in keys):
        missing = [k for k in keys if not isinstance(data, dict) or k not in data]
        raise BadResponse(f"银行接口返回格式错误(缺少字段:{', '.join(missing)})")
    return data


def customer_to_json(c: Customer) -> dict[str, Any]:
    """Customer -> JSON object."""
    return {
        "customer_id": c.customer_id,
        "name": c.name,
        "id_number": c.id_number,
        "phone": c.phone,
        "sex": c.sex,
        "birth_date": c.birth_date.isoformat(),
        "address": c.address,
        "ethnicity": c.ethnicity,
    }


def customer_from_json(d: Any) -> Customer:
    """JSON object -> Customer (raises BadResponse)."""
    d = _require(d, "customer_id", "name", "id_number", "phone", "sex", "birth_date", "address")
    try:
        return Customer(
            customer_id=str(d["customer_id"]),
            name=str(d["name"]),
            id_number=str(d["id_number"]),
            phone=str(d["phone"]),
            sex=str(d["sex"]),
            birth_date=date.fromisoformat(d["birth_date"]),
            address=str(d["address"]),
            ethnicity=str(d.get("ethnicity") or ""),
        )
    except (TypeError, ValueError) as exc:
        raise BadResponse(f"银行接口返回的客户信息格式错误:{type(exc).__name__}") from exc


def account_to_json(a: Account) -> dict[str, Any]:
    """Account -> JSON object."""
    return {
        "account_no": a.account_no,
        "customer_id": a.customer_id,
        "status": a.status.value,
        "card_type": a.card_type,
        "opening_branch": a.opening_branch,
        "opened_on": a.opened_on.isoformat(),
    }


def account_from_json(d: Any) -> Account:
    """JSON object -> Account (raises BadResponse)."""
    d = _require(d, "account_no", "customer_id", "status", "card_type", "opening_branch", "opened_on")
    try:
        return Account(
            account_no=str(d["account_no"]),
            customer_id=str(d["customer_id"]),
            status=AccountStatus(d["status"]),
            card_type=str(d["card_type"]),
            opening_branch=str(d["opening_branch"]),
            opened_on=date.fromisoformat(d["opened_on"]),
        )
    except (TypeError, ValueError) as exc:
        raise BadResponse(f"银行接口返回的账户信息格式错误:{type(exc).__name__}") from exc


def result_to_json(r: BusinessResult) -> dict[str, Any]:
    """BusinessResult -> JSON object."""
    return {"ok": r.ok, "code": r.code, "message": r.message, "reference": r.reference}


def result_from_json(d: Any) -> BusinessResult:
    """JSON object -> BusinessResult."""
    d = _require(d, "ok", "code", "message")
    return BusinessResult(bool(d["ok"]), str(d["code"]), str(d["message"]), d.get("reference"))


def network_to_json(r: NetworkCheckResult) -> dict[str, Any]:
    """NetworkCheckResult -> JSON object (photo as base64)."""
    return {
        "verdict": r.verdict.value,
        "photo_base64": base64.b64encode(r.photo).decode("ascii") if r.photo else None,
        "reference": r.reference,
    }


def network_from_json(d: Any) -> NetworkCheckResult:
    """JSON object -> NetworkCheckResult."""
    d = _require(d, "verdict")
    try:
        photo = base64.b64decode(d["photo_base64"], validate=True) if d.get("photo_base64") else None
        return NetworkCheckResult(NetworkCheckVerdict(d["verdict"]), photo, str(d.get("reference") or ""))
    except (TypeError, ValueError) as exc:
        raise BadResponse(f"联网核查返回格式错误:{type(exc).__name__}") from exc


def hit_to_json(h: BlacklistHit) -> dict[str, Any]:
    """BlacklistHit -> JSON object."""
    return {"kind": h.kind.value, "subject": h.subject, "reason": h.reason, "listed_on": h.listed_on.isoformat()}


def hit_from_json(d: Any) -> BlacklistHit:
    """JSON object -> BlacklistHit."""
    d = _require(d, "kind", "subject", "reason", "listed_on")
    try:
        return BlacklistHit(
            BlacklistKind(d["kind"]), str(d["subject"]), str(d["reason"]), date.fromisoformat(d["listed_on"])
        )
    except (TypeError, ValueError) as exc:
        raise BadResponse(f"黑名单返回格式错误:{type(exc).__name__}") from exc


def question_to_json(q: QuestionItem) -> dict[str, Any]:
    """QuestionItem -> JSON object."""
    return {"kind": q.kind, "prompt": q.prompt, "correct": q.correct, "distractors": list(q.distractors)}


def question_from_json(d: Any) -> QuestionItem:
    """JSON object -> QuestionItem."""
    d = _require(d, "kind", "prompt", "correct", "distractors")
    if not isinstance(d["distractors"], list):
        raise BadResponse("题库返回格式错误:distractors 必须是数组")
    return QuestionItem(str(d["kind"]), str(d["prompt"]), str(d["correct"]), tuple(str(x) for x in d["distractors"]))
