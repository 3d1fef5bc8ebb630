"""Tests for the sandbox bank: generated data, demo customers, failure modes and business operations."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from server.bank.adapters import (
    AccountStatus,
    BankAdapters,
    BankNotFound,
    BankRejected,
    BankTimeout,
    BankUnavailable,
    BlacklistKind,
    BlacklistService,
    BusinessRequest,
    CoreBanking,
    NetworkCheckService,
    NetworkCheckVerdict,
    QuestionBankSource,
)
from server.bank.regions import REGIONS, is_known_region
from server.bank.sandbox import SandboxBank, SandboxFaults, demo_customer, load_demo_customers
from server.bank.sandbox.population import _MOBILE_PREFIXES, generate_population, luhn_check_digit
from server.identity.idnumber import parse_id_number

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> SandboxBank:
    return SandboxBank(tmp_path_factory.mktemp("sandbox"), population=120, latency_s=0)


@pytest.fixture
def adapters(bank: SandboxBank) -> BankAdapters:
    return bank.adapters()


def test_adapters_satisfy_the_protocols(adapters: BankAdapters) -> None:
    assert isinstance(adapters.core, CoreBanking)
    assert isinstance(adapters.network_check, NetworkCheckService)
    assert isinstance(adapters.blacklist, BlacklistService)
    assert isinstance(adapters.questions, QuestionBankSource)


def test_generated_people_have_valid_consistent_id_numbers(bank: SandboxBank) -> None:
    rows = list(bank.db.query("select * from customers"))
    assert len(rows) == 120 + len(load_demo_customers())
    for row in rows:
        parsed = parse_id_number(
            row["id_number"],
            today=TODAY,
            known_region=is_known_region,
            expected_birth=date.fromisoformat(row["birth_date"]),
            expected_sex=row["sex"],
        )
        region = REGIONS[parsed.region_code]
        assert row["address"].startswith(region.address_prefix), row["address"]
        assert row["phone"][:3] in _MOBILE_PREFIXES and len(row["phone"]) == 11 and row["phone"].isdigit()
        assert 1 < len(row["name"]) <= 4
    assert len({r["id_number"] for r in rows}) == len(rows)


def test_card_numbers_carry_a_luhn_digit(bank: SandboxBank) -> None:
    for row in bank.db.query("select account_no from accounts"):
        number = row["account_no"]
        assert len(number) == 19 and luhn_check_digit(number[:-1]) == number[-1]


def test_every_status_and_both_blacklists_exist(bank: SandboxBank) -> None:
    statuses = {r["status"] for r in bank.db.query("select distinct status from accounts")}
    assert statuses == {s.value for s in AccountStatus}
    kinds = {(r["kind"], r["subject"]) for r in bank.db.query("select kind, subject from blacklist")}
    assert {("aml", "id_number"), ("telecom_fraud", "account"), ("telecom_fraud", "id_number")} <= kinds
    assert bank.db.table("transactions").count > 500


def test_same_seed_same_population_and_different_seed_differs() -> None:
    a = generate_population(7, 40, as_of=date(2026, 11, 1))
    b = generate_population(7, 40, as_of=date(2026, 11, 1))
    c = generate_population(8, 40, as_of=date(2026, 11, 1))
    assert a.customers == b.customers and a.transactions == b.transactions
    assert a.customers != c.customers


def test_data_is_reused_and_rebuilt_when_the_seed_changes(tmp_path: Path) -> None:
    first = SandboxBank(tmp_path, population=10, latency_s=0)
    first.db.table("meta").insert({"key": "marker", "value": "kept"})
    first.close()
    again = SandboxBank(tmp_path, population=10, latency_s=0)
    assert again.db.table("meta").get("marker")["value"] == "kept"
    again.close()
    rebuilt = SandboxBank(tmp_path, population=10, seed=99, latency_s=0)
    assert "marker" not in {r["key"] for r in rebuilt.db.query("select key from meta")}
    rebuilt.close()


async def test_demo_customers_behave_as_published(adapters: BankAdapters) -> None:
    for demo in load_demo_customers():
        customer = await adapters.core.find_customer(demo.name, demo.id_number, demo.phone)
        assert customer is not None and customer.customer_id == demo.customer_id, demo.key
        accounts = {a.account_no: a for a in await adapters.core.list_accounts(demo.customer_id)}
        assert {a["account_no"]: a["status"] for a in demo.raw["accounts"]} == {
            k: v.status.value for k, v in accounts.items()
        }
        for entry in demo.raw["blacklist"]:
            if entry["subject"] == "id_number":
                hits = await adapters.blacklist.check_person(demo.id_number)
            else:
                hits = await adapters.blacklist.check_account(entry["value"])
            assert [h.kind.value for h in hits] == [entry["kind"]]
        if demo.raw["network_check"]["fault"] is not None:
            continue
        result = await adapters.network_check.check(demo.id_number, demo.name)
        assert result.verdict.value == demo.raw["network_check"]["verdict"], demo.key
        photo = demo.registered_photo
        if result.verdict is NetworkCheckVerdict.MATCH:
            assert result.photo == (photo.read_bytes() if photo else None), demo.key
            assert result.photo_missing == (photo is None)
        assert result.reference.startswith("NC")


async def test_three_elements_must_all_match(adapters: BankAdapters) -> None:
    demo = demo_customer("pass_all")
    assert await adapters.core.find_customer(demo.name, demo.id_number, "13800000000") is None
    assert await adapters.core.find_customer("李明", demo.id_number, demo.phone) is None
    assert await adapters.core.find_customer(demo.name, demo.id_number, demo.phone) is not None
    assert await adapters.blacklist.check_person(demo.id_number) == []
    assert await adapters.core.get_account("6230580000000000000") is None
    assert await adapters.core.get_customer("C0") is None


async def test_named_demo_failure_modes(tmp_path: Path) -> None:
    adapters = SandboxBank(tmp_path, population=5, latency_s=0).adapters()
    slow = demo_customer("network_timeout")
    for _ in range(3):
        with pytest.raises(BankTimeout):
            await adapters.network_check.check(slow.id_number, slow.name)
    flaky = demo_customer("network_flaky")
    with pytest.raises(BankTimeout):
        await adapters.network_check.check(flaky.id_number, flaky.name)
    with pytest.raises(BankUnavailable) as info:
        await adapters.network_check.check(flaky.id_number, flaky.name)
    assert info.value.retryable
    assert (await adapters.network_check.check(flaky.id_number, flaky.name)).verdict is NetworkCheckVerdict.MATCH
    await adapters.aclose()


async def test_injected_faults_scripted_and_random(tmp_path: Path) -> None:
    faults = SandboxFaults()
    bank = SandboxBank(tmp_path, population=5, latency_s=0, faults=faults)
    adapters = bank.adapters()
    demo = demo_customer("pass_all")
    faults.fail_next("core", BankUnavailable("核心系统繁忙"), times=2)
    for _ in range(2):
        with pytest.raises(BankUnavailable):
            await adapters.core.find_customer(demo.name, demo.id_number, demo.phone)
    assert await adapters.core.find_customer(demo.name, demo.id_number, demo.phone) is not None
    faults.timeout_rate = 1.0
    with pytest.raises(BankTimeout):
        await adapters.blacklist.check_person(demo.id_number)
    faults.timeout_rate, faults.transient_error_rate = 0.0, 1.0
    with pytest.raises(BankUnavailable):
        await adapters.questions.questions_for(demo.customer_id)
    bank.close()


async def test_latency_is_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import server.bank.sandbox.bank as sandbox_module

    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(sandbox_module.asyncio, "sleep", fake_sleep)
    bank = SandboxBank(tmp_path, population=5, latency_s=0.25)
    await bank.adapters().blacklist.check_person("110105198506150313")
    assert waits == [0.25]
    bank.close()


async def test_questions_come_from_the_customers_own_data(bank: SandboxBank, adapters: BankAdapters) -> None:
    demo = demo_customer("pass_all")
    items = {q.kind: q for q in await adapters.questions.questions_for(demo.customer_id)}
    assert {"phone_last4", "opening_branch", "card_type", "last_amount_band", "last_channel"} <= set(items)
    assert items["phone_last4"].correct == demo.phone[-4:]
    assert items["account_count"].correct == f"{len(demo.raw['accounts'])}个"
    branches = {a["opening_branch"] for a in demo.raw["accounts"]}
    assert items["opening_branch"].correct in branches
    for q in items.values():
        assert q.correct not in q.distractors and len(set(q.distractors)) >= 2
    last = next(
        iter(
            bank.db.query(
                "select t.channel from transactions t join accounts a using (account_no) where a.customer_id = ? "
                "order by t.at desc limit 1",
                (demo.customer_id,),
            )
        )
    )
    assert items["last_channel"].correct == last["channel"]
    with pytest.raises(BankNotFound):
        await adapters.questions.questions_for("C0")


async def test_business_operations(tmp_path: Path) -> None:
    bank = SandboxBank(tmp_path, population=5, latency_s=0)
    core = bank.adapters().core
    dormant = demo_customer("dormant")
    req = BusinessRequest("req-activate-1", "account_activation", dormant.customer_id, dormant.first_account)
    result = await core.execute(req)
    assert result.ok and result.reference
    account = await core.get_account(dormant.first_account)
    assert account is not None and account.status is AccountStatus.NORMAL
    assert await core.execute(req) == result  # idempotent on request_id
    again = await core.execute(
        BusinessRequest("req-activate-2", "account_activation", dormant.customer_id, dormant.first_account)
    )
    assert not again.ok and again.code == "status_not_allowed"
    pa = demo_customer("pass_all")
    lost = pa.account("reported_lost")
    assert (await core.execute(BusinessRequest("req-release-1", "loss_report_release", pa.customer_id, lost))).ok
    frozen = pa.account("frozen")
    assert not (await core.execute(BusinessRequest("req-reset-1", "password_reset", pa.customer_id, frozen))).ok
    with pytest.raises(BankRejected):
        await core.execute(BusinessRequest("req-reset-2", "password_reset", pa.customer_id, dormant.first_account))
    info = BusinessRequest("req-info-1", "customer_info_maintenance", pa.customer_id, None, {"phone": "13900001111"})
    assert (await core.execute(info)).ok
    customer = await core.get_customer(pa.customer_id)
    assert customer is not None and customer.phone == "13900001111"
    with pytest.raises(BankRejected):
        await core.execute(
            BusinessRequest("req-info-2", "customer_info_maintenance", pa.customer_id, None, {"name": "x"})
        )
    with pytest.raises(BankNotFound):
        await core.execute(BusinessRequest("req-x-1", "password_reset", "C0", None))
    bank.close()


async def test_sandbox_logs_are_masked(adapters: BankAdapters, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    demo = demo_customer("pass_all")
    await adapters.core.find_customer(demo.name, demo.id_number, demo.phone)
    await adapters.network_check.check(demo.id_number, demo.name)
    await adapters.core.execute(BusinessRequest("req-log-1", "password_reset", demo.customer_id, demo.first_account))
    assert "1101**********0313" in caplog.text and "138****5678" in caplog.text
    assert demo.id_number not in caplog.text and demo.phone not in caplog.text
    assert demo.first_account not in caplog.text


def test_blacklist_kind_labels_are_for_tellers() -> None:
    assert BlacklistKind.AML.label == "反洗钱黑名单"
    assert NetworkCheckVerdict.NOT_FOUND.label == "库中无此号"
