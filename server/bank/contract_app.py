"""A FastAPI app that serves any adapter set over the JSON contract of docs/bank-adapters.md.

It is the reference implementation of the contract: the tests run the HTTP adapter against it (backed by the sandbox
bank), and a bank can run it in front of the sandbox to try its own client, or read it to build its gateway.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from server.bank.adapters import BankAdapters, BankError, BusinessRequest
from server.bank.wire_json import (
    ERROR_STATUS,
    account_to_json,
    customer_to_json,
    hit_to_json,
    network_to_json,
    question_to_json,
    result_to_json,
)

__all__ = ["create_bank_contract_app"]

logger = logging.getLogger(__name__)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LookupBody(_Body):
    """POST /v1/customers/lookup."""

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=15, max_length=18)
    phone: str = Field(min_length=5, max_length=20)


class AccountBody(_Body):
    """POST /v1/accounts/lookup and /v1/blacklist/account."""

    account_no: str = Field(min_length=6, max_length=32)


class PersonBody(_Body):
    """POST /v1/blacklist/person."""

    id_number: str = Field(min_length=15, max_length=18)


class NetworkBody(_Body):
    """POST /v1/network-check."""

    id_number: str = Field(min_length=15, max_length=18)
    name: str = Field(min_length=1, max_length=64)


class BusinessBody(_Body):
    """POST /v1/business."""

    request_id: str = Field(min_length=8, max_length=64)
    business_type: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    account_no: str | None = Field(default=None, max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)


def _error(code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=ERROR_STATUS.get(code, 500))


def create_bank_contract_app(adapters: BankAdapters, *, token: str | None = None) -> FastAPI:
    """Serve ``adapters`` over the contract.

    Args:
        adapters: the adapter set answering the calls (e.g. the sandbox's).
        token: when set, every call must carry ``Authorization: Bearer <token>``.
    """
    app = FastAPI(title="VideoTeller bank adapter contract", version="1")

    @app.middleware("http")
    async def _auth(request: Request, call_next: Any) -> Any:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error("unauthorized", "认证失败")
        return await call_next(request)

    @app.exception_handler(BankError)
    async def _bank_error(_: Request, exc: BankError) -> JSONResponse:
        code = exc.code if exc.code in ERROR_STATUS else ("unavailable" if exc.retryable else "internal")
        return _error(code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error("bad_request", f"请求格式错误:{where}")

    @app.post("/v1/customers/lookup")
    async def lookup(body: LookupBody) -> dict[str, Any]:
        customer = await adapters.core.find_customer(body.name, body.id_number, body.phone)
        return {"customer": customer_to_json(customer) if customer else None}

    @app.get("/v1/customers/{customer_id}")
    async def get_customer(customer_id: str) -> Any:
        customer = await adapters.core.get_customer(customer_id)
        if customer is None:
            return _error("not_found", "客户不存在")
        return {"customer": customer_to_json(customer)}

    @app.get("/v1/customers/{customer_id}/accounts")
    async def accounts(customer_id: str) -> Any:
        if await adapters.core.get_customer(customer_id) is None:
            return _error("not_found", "客户不存在")
        return {"accounts": [account_to_json(a) for a in await adapters.core.list_accounts(customer_id)]}

    @app.post("/v1/accounts/lookup")
    async def get_account(body: AccountBody) -> Any:
        account = await adapters.core.get_account(body.account_no)
        if account is None:
            return _error("not_found", "账户不存在")
        return {"account": account_to_json(account)}

    @app.post("/v1/business")
    async def business(body: BusinessBody) -> dict[str, Any]:
        result = await adapters.core.execute(BusinessRequest(**body.model_dump()))
        return result_to_json(result)

    @app.post("/v1/network-check")
    async def network_check(body: NetworkBody) -> dict[str, Any]:
        return network_to_json(await adapters.network_check.check(body.id_number, body.name))

    @app.post("/v1/blacklist/person")
    async def blacklist_person(body: PersonBody) -> dict[str, Any]:
        return {"hits": [hit_to_json(h) for h in await adapters.blacklist.check_person(body.id_number)]}

    @app.post("/v1/blacklist/account")
    async def blacklist_account(body: AccountBody) -> dict[str, Any]:
        return {"hits": [hit_to_json(h) for h in await adapters.blacklist.check_account(body.account_no)]}

    @app.get("/v1/customers/{customer_id}/questions")
    async def questions(customer_id: str) -> dict[str, Any]:
        return {"questions": [question_to_json(q) for q in await adapters.questions.questions_for(customer_id)]}

    return app
