"""HTTP adapter set: the bank's systems behind the JSON contract of docs/bank-adapters.md, called with httpx.

Identifiers that are personal data (ID numbers, card numbers, phones) always travel in POST bodies, never in URLs,
so that they do not land in access logs. Transport failures map onto :class:`BankError` subclasses: a timeout is
:class:`BankTimeout`, a broken connection or 5xx is :class:`BankUnavailable`, a 404 is "absent" (None) for lookups.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx

from server.bank.adapters import (
    Account,
    BankAdapters,
    BankNotFound,
    BankRejected,
    BankTimeout,
    BankUnavailable,
    BlacklistHit,
    BusinessRequest,
    BusinessResult,
    Customer,
    NetworkCheckResult,
    QuestionItem,
)
from server.bank.wire_json import (
    BadResponse,
    account_from_json,
    customer_from_json,
    hit_from_json,
    network_from_json,
    question_from_json,
    result_from_json,
)
from server.identity.idnumber import mask_id_number

__all__ = ["HttpBankClient", "create_http_adapters"]

logger = logging.getLogger(__name__)


class HttpBankClient:
    """One httpx client for all four adapters, with the contract's error mapping.

    Args:
        base_url: the bank gateway, e.g. ``https://bank-gw.example/`` (paths start with ``/v1``).
        token: bearer token, if the gateway wants one.
        timeout_s: total time allowed per call.
        transport: an httpx transport (tests pass ``httpx.ASGITransport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(timeout_s), transport=transport
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Send one request; returns (status, JSON) for 2xx and 404, raises BankError otherwise."""
        request_id = uuid.uuid4().hex
        try:
            response = await self._client.request(method, path, json=body, headers={"X-Request-Id": request_id})
        except httpx.TimeoutException as exc:
            raise BankTimeout(f"银行接口 {path} 响应超时") from exc
        except httpx.TransportError as exc:
            raise BankUnavailable(f"银行接口 {path} 连接失败:{type(exc).__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success or response.status_code == 404:
            if data is None and response.is_success:
                raise BadResponse(f"银行接口 {path} 返回的不是 JSON")
            return response.status_code, data
        error = data.get("error") if isinstance(data, dict) else None
        code = str(error.get("code")) if isinstance(error, dict) else ""
        message = str(error.get("message")) if isinstance(error, dict) else f"HTTP {response.status_code}"
        logger.info("bank gateway %s %s -> %s %s (request %s)", method, path, response.status_code, code, request_id)
        if response.status_code == 504 or code == "timeout":
            raise BankTimeout(message)
        if response.status_code >= 500:
            raise BankUnavailable(message, code=code or "unavailable")
        raise BankRejected(message, code=code or "rejected")


class HttpCoreBanking:
    """Core banking over HTTP."""

    def __init__(self, client: HttpBankClient) -> None:
        self._c = client

    async def find_customer(self, name: str, id_number: str, phone: str) -> Customer | None:
        """POST /v1/customers/lookup."""
        _, data = await self._c.call(
            "POST", "/v1/customers/lookup", {"name": name, "id_number": id_number, "phone": phone}
        )
        found = data.get("customer") if isinstance(data, dict) else None
        logger.debug("lookup %s over HTTP: %s", mask_id_number(id_number), "found" if found else "no match")
        return customer_from_json(found) if found else None

    async def get_customer(self, customer_id: str) -> Customer | None:
        """GET /v1/customers/{customer_id}."""
        status, data = await self._c.call("GET", f"/v1/customers/{customer_id}")
        if status == 404:
            return None
        return customer_from_json(data.get("customer") if isinstance(data, dict) else None)

    async def list_accounts(self, customer_id: str) -> list[Account]:
        """GET /v1/customers/{customer_id}/accounts."""
        status, data = await self._c.call("GET", f"/v1/customers/{customer_id}/accounts")
        if status == 404:
            return []
        items = data.get("accounts") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BadResponse("账户列表格式错误")
        return [account_from_json(a) for a in items]

    async def get_account(self, account_no: str) -> Account | None:
        """POST /v1/accounts/lookup."""
        status, data = await self._c.call("POST", "/v1/accounts/lookup", {"account_no": account_no})
        if status == 404:
            return None
        return account_from_json(data.get("account") if isinstance(data, dict) else None)

    async def execute(self, request: BusinessRequest) -> BusinessResult:
        """POST /v1/business."""
        status, data = await self._c.call(
            "POST",
            "/v1/business",
            {
                "request_id": request.request_id,
                "business_type": request.business_type,
                "customer_id": request.customer_id,
                "account_no": request.account_no,
                "params": request.params,
            },
        )
        if status == 404:
            raise BankNotFound(str((data or {}).get("error", {}).get("message", "客户不存在")))
        return result_from_json(data)


class HttpNetworkCheck:
    """联网核查 over HTTP."""

    def __init__(self, client: HttpBankClient) -> None:
        self._c = client

    async def check(self, id_number: str, name: str) -> NetworkCheckResult:
        """POST /v1/network-check."""
        _, data = await self._c.call("POST", "/v1/network-check", {"id_number": id_number, "name": name})
        return network_from_json(data)


class HttpBlacklist:
    """Blacklists over HTTP."""

    def __init__(self, client: HttpBankClient) -> None:
        self._c = client

    async def _hits(self, path: str, body: dict[str, Any]) -> list[BlacklistHit]:
        _, data = await self._c.call("POST", path, body)
        hits = data.get("hits") if isinstance(data, dict) else None
        if not isinstance(hits, list):
            raise BadResponse("黑名单返回格式错误")
        return [hit_from_json(h) for h in hits]

    async def check_person(self, id_number: str) -> list[BlacklistHit]:
        """POST /v1/blacklist/person."""
        return await self._hits("/v1/blacklist/person", {"id_number": id_number})

    async def check_account(self, account_no: str) -> list[BlacklistHit]:
        """POST /v1/blacklist/account."""
        return await self._hits("/v1/blacklist/account", {"account_no": account_no})


class HttpQuestionBank:
    """Question bank over HTTP."""

    def __init__(self, client: HttpBankClient) -> None:
        self._c = client

    async def questions_for(self, customer_id: str) -> list[QuestionItem]:
        """GET /v1/customers/{customer_id}/questions."""
        status, data = await self._c.call("GET", f"/v1/customers/{customer_id}/questions")
        if status == 404:
            raise BankNotFound("客户不存在")
        items = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BadResponse("题库返回格式错误")
        return [question_from_json(q) for q in items]


def create_http_adapters(
    base_url: str,
    *,
    token: str | None = None,
    timeout_s: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> BankAdapters:
    """The ``http`` adapter set: all four systems through one gateway speaking the documented contract."""
    client = HttpBankClient(base_url, token=token, timeout_s=timeout_s, transport=transport)
    return BankAdapters(
        name="http",
        core=HttpCoreBanking(client),
        network_check=HttpNetworkCheck(client),
        blacklist=HttpBlacklist(client),
        questions=HttpQuestionBank(client),
        closers=[client.aclose],
    )
