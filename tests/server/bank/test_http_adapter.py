"""The HTTP adapter against a real HTTP server speaking the contract (served from the sandbox bank's data)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from server.bank.adapters import (
    AccountStatus,
    BankAdapters,
    BankNotFound,
    BankRejected,
    BankTimeout,
    BankUnavailable,
    BusinessRequest,
    NetworkCheckVerdict,
)
from server.bank.contract_app import create_bank_contract_app
from server.bank.http_adapter import create_http_adapters
from server.bank.sandbox import SandboxBank, SandboxFaults, demo_customer
from server.identity.gates import GateMachine, GateStatus, IdCardFields, collect_precheck_evidence, sha256_hex

TOKEN = "test-gateway-token"


@pytest.fixture
def sandbox(tmp_path: Path) -> SandboxBank:
    return SandboxBank(tmp_path, population=10, latency_s=0, faults=SandboxFaults())


@pytest.fixture
async def http(sandbox: SandboxBank) -> AsyncIterator[BankAdapters]:
    app = create_bank_contract_app(sandbox.adapters(), token=TOKEN)
    adapters = create_http_adapters(
        "http://bank.test", token=TOKEN, transport=httpx.ASGITransport(app=app), timeout_s=5
    )
    yield adapters
    await adapters.aclose()


async def test_same_answers_as_the_sandbox_itself(sandbox: SandboxBank, http: BankAdapters) -> None:
    direct = sandbox.adapters()
    demo = demo_customer("pass_all")
    customer = await http.core.find_customer(demo.name, demo.id_number, demo.phone)
    assert customer == await direct.core.find_customer(demo.name, demo.id_number, demo.phone)
    assert await http.core.find_customer(demo.name, demo.id_number, "13800000000") is None
    assert await http.core.get_customer(demo.customer_id) == customer
    assert await http.core.get_customer("C0") is None
    assert await http.core.list_accounts(demo.customer_id) == await direct.core.list_accounts(demo.customer_id)
    assert await http.core.list_accounts("C0") == []
    account = await http.core.get_account(demo.account("frozen"))
    assert account is not None and account.status is AccountStatus.FROZEN
    assert await http.core.get_account("6230580000000000000") is None
    assert await http.questions.questions_for(demo.customer_id) == await direct.questions.questions_for(
        demo.customer_id
    )
    with pytest.raises(BankNotFound):
        await http.questions.questions_for("C0")


async def test_network_check_and_blacklists_over_http(http: BankAdapters) -> None:
    demo = demo_customer("pass_all")
    result = await http.network_check.check(demo.id_number, demo.name)
    registered = demo.registered_photo
    assert registered is not None
    assert result.verdict is NetworkCheckVerdict.MATCH and result.photo == registered.read_bytes()
    missing = demo_customer("photo_missing")
    assert (await http.network_check.check(missing.id_number, missing.name)).photo_missing
    nobody = demo_customer("not_in_registry")
    assert (await http.network_check.check(nobody.id_number, nobody.name)).verdict is NetworkCheckVerdict.NOT_FOUND
    aml = demo_customer("blacklisted_aml")
    assert [h.kind.value for h in await http.blacklist.check_person(aml.id_number)] == ["aml"]
    fraud = demo_customer("blacklisted_fraud")
    assert [h.subject for h in await http.blacklist.check_account(fraud.first_account)] == ["account"]
    assert await http.blacklist.check_person(demo.id_number) == []


async def test_business_over_http(http: BankAdapters) -> None:
    dormant = demo_customer("dormant")
    result = await http.core.execute(
        BusinessRequest("http-req-0001", "account_activation", dormant.customer_id, dormant.first_account)
    )
    assert result.ok and result.reference
    with pytest.raises(BankRejected):
        await http.core.execute(
            BusinessRequest(
                "http-req-0002", "password_reset", dormant.customer_id, demo_customer("pass_all").first_account
            )
        )
    with pytest.raises(BankNotFound):
        await http.core.execute(BusinessRequest("http-req-0003", "password_reset", "C0", None))


async def test_upstream_errors_map_to_bank_errors(sandbox: SandboxBank, http: BankAdapters) -> None:
    demo = demo_customer("pass_all")
    sandbox.faults.fail_next("network_check", BankTimeout("上游超时"))
    with pytest.raises(BankTimeout):
        await http.network_check.check(demo.id_number, demo.name)
    sandbox.faults.fail_next("core", BankUnavailable("核心系统繁忙"))
    with pytest.raises(BankUnavailable) as info:
        await http.core.find_customer(demo.name, demo.id_number, demo.phone)
    assert info.value.message == "核心系统繁忙"
    slow = demo_customer("network_timeout")
    with pytest.raises(BankTimeout):
        await http.network_check.check(slow.id_number, slow.name)


async def test_bad_token_and_bad_request_are_rejected(sandbox: SandboxBank) -> None:
    app = create_bank_contract_app(sandbox.adapters(), token=TOKEN)
    wrong = create_http_adapters("http://bank.test", token="wrong", transport=httpx.ASGITransport(app=app))
    with pytest.raises(BankRejected) as info:
        await wrong.blacklist.check_person("110105198506150313")
    assert info.value.code == "unauthorized"
    await wrong.aclose()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank.test") as raw:
        response = await raw.post(
            "/v1/network-check", json={"id_number": "1"}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


async def test_gates_run_on_the_http_adapters(http: BankAdapters) -> None:
    demo = demo_customer("pass_all")
    card = IdCardFields(
        demo.name,
        demo.id_number,
        demo.sex,
        demo.birth_date,
        demo.address,
        None,
        sha256_hex(demo.id_card_portrait.read_bytes()),
    )
    now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    m = GateMachine("sess-http-1", "password_reset", now=now)
    update = m.submit_precheck(await collect_precheck_evidence(http, card, demo.phone, demo.first_account), now=now)
    assert update.passed
    req = m.start_network_check(now=now)
    assert m.record_network_check(await http.network_check.check(req.id_number, req.name), now=now).passed
    assert m.network_photo == (demo.registered_photo.read_bytes() if demo.registered_photo else None)
    assert m.current_gate is not None and m.status(m.current_gate) is GateStatus.PENDING


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_client_side_timeout_against_a_real_socket_server(tmp_path: Path) -> None:
    """A gateway slower than the client's timeout gives BankTimeout (real uvicorn server, real TCP)."""
    slow_bank = SandboxBank(tmp_path, population=3, latency_s=0.8)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_bank_contract_app(slow_bank.adapters()), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        client = create_http_adapters(f"http://127.0.0.1:{port}", timeout_s=0.1)
        with pytest.raises(BankTimeout):
            await client.blacklist.check_person("110105198506150313")
        await client.aclose()
        patient = create_http_adapters(f"http://127.0.0.1:{port}", timeout_s=8)
        assert await patient.blacklist.check_person("110105198506150313") == []
        await patient.aclose()
        refused = create_http_adapters(f"http://127.0.0.1:{_free_port()}", timeout_s=2)
        with pytest.raises(BankUnavailable):
            await refused.blacklist.check_person("110105198506150313")
        await refused.aclose()
    finally:
        server.should_exit = True
        await task
        slow_bank.close()
