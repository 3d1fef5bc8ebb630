"""The sandbox bank: core banking, 联网核查, blacklists and a question bank on its own SQLite data.

The database (``sandbox_bank.db`` in the given data dir) is built once from the seeded population plus the demo
customers of ``resources/sandbox/demo_customers.json`` and rebuilt when the seed, size or demo file changes.
Calls wait a configurable latency and fail realistically: scripted faults, random timeouts/transient errors at
configured rates, and per-customer registry behaviour (库中无此号, photo missing, always timing out, flaky).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from server.bank.adapters import (
    Account,
    AccountStatus,
    BankAdapters,
    BankError,
    BankNotFound,
    BankRejected,
    BankTimeout,
    BankUnavailable,
    BlacklistHit,
    BlacklistKind,
    BusinessRequest,
    BusinessResult,
    Customer,
    NetworkCheckResult,
    NetworkCheckVerdict,
    QuestionItem,
)
from server.bank.regions import REGIONS
from server.bank.sandbox.population import CARD_TYPES, CHANNELS, generate_population, generate_transactions
from server.bank.sandbox.resources import portrait_path, sandbox_resources_dir
from server.identity.idnumber import mask_card_number, mask_id_number, mask_name, mask_phone

__all__ = ["SCHEMA_VERSION", "SandboxBank", "SandboxFaults"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
AS_OF = date(2026, 11, 1)
"""The sandbox's fixed "today" for generated histories (keeps data identical across runs)."""

AMOUNT_BANDS = ("100元以下", "100元至1000元", "1000元至5000元", "5000元至2万元", "2万元以上")
_BAND_LIMITS_CENTS = (100_00, 1000_00, 5000_00, 20000_00)


def amount_band(amount_cents: int) -> str:
    """The band (e.g. "1000元至5000元") an amount falls into, by absolute value."""
    value = abs(amount_cents)
    for limit, label in zip(_BAND_LIMITS_CENTS, AMOUNT_BANDS, strict=False):
        if value < limit:
            return label
    return AMOUNT_BANDS[-1]


@dataclass
class SandboxFaults:
    """Failure injection for the sandbox's calls.

    Attributes:
        timeout_rate: probability that any call raises :class:`BankTimeout`.
        transient_error_rate: probability that any call raises :class:`BankUnavailable`.
        seed: seed of the RNG that draws those faults.
        scripted: per-service queue of errors to raise on the next calls (``core``, ``network_check``,
            ``blacklist``, ``questions``); see :meth:`fail_next`.
    """

    timeout_rate: float = 0.0
    transient_error_rate: float = 0.0
    seed: int = 0
    scripted: dict[str, deque[BankError]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def fail_next(self, service: str, error: BankError, times: int = 1) -> None:
        """Make the next ``times`` calls to ``service`` raise ``error``."""
        self.scripted.setdefault(service, deque()).extend([error] * times)

    def draw(self, service: str) -> BankError | None:
        """The fault for this call, if any."""
        queue = self.scripted.get(service)
        if queue:
            return queue.popleft()
        roll = self._rng.random()
        if roll < self.timeout_rate:
            return BankTimeout(f"沙箱{service}调用超时")
        if roll < self.timeout_rate + self.transient_error_rate:
            return BankUnavailable(f"沙箱{service}系统繁忙,请稍后重试")
        return None


class SandboxBank:
    """The sandbox bank.

    Args:
        data_dir: directory for ``sandbox_bank.db`` (created if missing).
        seed: population seed.
        population: number of generated customers besides the demo customers.
        latency_s: delay of every call (tests use 0).
        faults: failure injection; defaults to none.

    Example:
        >>> bank = SandboxBank(tmp_path, latency_s=0)
        >>> adapters = bank.adapters()
        >>> await adapters.core.find_customer("李明华", "110105198506150313", "13812345678")
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        seed: int = 20261121,
        population: int = 300,
        latency_s: float = 0.02,
        faults: SandboxFaults | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.seed = seed
        self.population = population
        self.latency_s = latency_s
        self.faults = faults or SandboxFaults(seed=seed)
        self.db_path = self.data_dir / "sandbox_bank.db"
        self._flaky_calls: dict[str, int] = {}
        self._photos: dict[str, bytes] = {}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self._ensure_data()

    # --- construction ---------------------------------------------------------------------------------------------

    def _fingerprint(self) -> str:
        demo = (sandbox_resources_dir() / "demo_customers.json").read_bytes()
        key = f"{SCHEMA_VERSION}|{self.seed}|{self.population}|{hashlib.sha256(demo).hexdigest()}"
        return hashlib.sha256(key.encode()).hexdigest()

    def _ensure_data(self) -> None:
        fingerprint = self._fingerprint()
        if "meta" in self.db.table_names():
            rows = list(self.db.query("select value from meta where key = 'fingerprint'"))
            if rows and rows[0]["value"] == fingerprint:
                return
        logger.info(
            "building sandbox bank data in %s (seed %s, %s customers)", self.db_path, self.seed, self.population
        )
        for name in self.db.table_names():
            self.db[name].drop()
        demo = json.loads((sandbox_resources_dir() / "demo_customers.json").read_text(encoding="utf-8"))["customers"]
        demo_ids = {c["id_number"] for c in demo}
        pop = generate_population(self.seed, self.population, as_of=AS_OF, taken_ids=demo_ids)
        rng = random.Random(self.seed + 1)
        txn_id = len(pop.transactions) + 1
        for c in demo:
            pop.customers.append(
                {
                    "customer_id": c["customer_id"],
                    "name": c["name"],
                    "id_number": c["id_number"],
                    "phone": c["phone"],
                    "sex": c["sex"],
                    "birth_date": c["birth_date"],
                    "address": c["address"],
                    "ethnicity": c["ethnicity"],
                    "region_code": c["id_number"][:6],
                    "demo_key": c["key"],
                }
            )
            for acc in c["accounts"]:
                pop.accounts.append({**acc, "customer_id": c["customer_id"]})
                txns = generate_transactions(
                    rng, acc["account_no"], date.fromisoformat(acc["opened_on"]), AS_OF, txn_id
                )
                txn_id += len(txns)
                pop.transactions.extend(txns)
            nc = c["network_check"]
            if nc["verdict"] != "not_found":
                pop.registry.append(
                    {
                        "id_number": c["id_number"],
                        "name": nc.get("registered_name") or c["name"],
                        "photo_file": nc.get("registered_photo"),
                        "fault": nc.get("fault"),
                    }
                )
            for entry in c["blacklist"]:
                pop.blacklist.append({k: entry[k] for k in ("kind", "subject", "value", "reason", "listed_on")})
        with self.db.conn:
            self.db.table("customers").insert_all(pop.customers, pk="customer_id")
            self.db.table("customers").create_index(["id_number"], unique=True)
            self.db.table("accounts").insert_all(pop.accounts, pk="account_no")
            self.db.table("accounts").create_index(["customer_id"])
            self.db.table("transactions").insert_all(pop.transactions, pk="id")
            self.db.table("transactions").create_index(["account_no", "at"])
            self.db.table("registry").insert_all(pop.registry, pk="id_number")
            self.db.table("blacklist").insert_all(pop.blacklist)
            self.db.table("blacklist").create_index(["value"])
            self.db.table("business_log").create(
                {
                    "request_id": str,
                    "business_type": str,
                    "customer_id": str,
                    "account_no": str,
                    "ok": int,
                    "code": str,
                    "message": str,
                    "reference": str,
                    "at": str,
                },
                pk="request_id",
            )
            self.db.table("meta").insert_all(
                [{"key": "fingerprint", "value": fingerprint}, {"key": "schema_version", "value": str(SCHEMA_VERSION)}],
                pk="key",
            )

    def adapters(self) -> BankAdapters:
        """The four adapters backed by this sandbox, as one set named ``sandbox``."""

        async def close() -> None:
            self.close()

        return BankAdapters(
            name="sandbox",
            core=SandboxCoreBanking(self),
            network_check=SandboxNetworkCheck(self),
            blacklist=SandboxBlacklist(self),
            questions=SandboxQuestionBank(self),
            closers=[close],
        )

    def close(self) -> None:
        """Close the database."""
        self.db.conn.close()

    # --- shared helpers -------------------------------------------------------------------------------------------

    async def call(self, service: str) -> None:
        """Wait the configured latency, then raise the injected fault for ``service`` if one is due."""
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        fault = self.faults.draw(service)
        if fault is not None:
            logger.info("sandbox %s: injected fault %s", service, fault.code)
            raise fault

    def photo_bytes(self, file_name: str) -> bytes:
        """A registered photo's bytes (cached)."""
        if file_name not in self._photos:
            self._photos[file_name] = portrait_path(file_name).read_bytes()
        return self._photos[file_name]

    def one(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        """First row of a query, or None."""
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    def flaky_attempt(self, id_number: str) -> int:
        """Count a network-check call for a flaky registry entry; returns the 1-based call number."""
        self._flaky_calls[id_number] = self._flaky_calls.get(id_number, 0) + 1
        return self._flaky_calls[id_number]


def _customer(row: dict[str, Any]) -> Customer:
    return Customer(
        customer_id=row["customer_id"],
        name=row["name"],
        id_number=row["id_number"],
        phone=row["phone"],
        sex=row["sex"],
        birth_date=date.fromisoformat(row["birth_date"]),
        address=row["address"],
        ethnicity=row["ethnicity"],
    )


def _account(row: dict[str, Any]) -> Account:
    return Account(
        account_no=row["account_no"],
        customer_id=row["customer_id"],
        status=AccountStatus(row["status"]),
        card_type=row["card_type"],
        opening_branch=row["opening_branch"],
        opened_on=date.fromisoformat(row["opened_on"]),
    )


# Which status each business needs and what it turns the account into.
_BUSINESS_RULES: dict[str, tuple[set[AccountStatus], AccountStatus | None]] = {
    "password_reset": ({AccountStatus.NORMAL}, None),
    "account_activation": ({AccountStatus.DORMANT}, AccountStatus.NORMAL),
    "loss_report_release": ({AccountStatus.REPORTED_LOST}, AccountStatus.NORMAL),
    "sms_signing": ({AccountStatus.NORMAL}, None),
}


class SandboxCoreBanking:
    """Core banking of the sandbox."""

    def __init__(self, bank: SandboxBank) -> None:
        self._bank = bank

    async def find_customer(self, name: str, id_number: str, phone: str) -> Customer | None:
        """See :meth:`server.bank.adapters.CoreBanking.find_customer`."""
        await self._bank.call("core")
        row = self._bank.one(
            "select * from customers where id_number = ? and name = ? and phone = ?",
            (id_number.strip().upper(), name.strip(), phone.strip()),
        )
        logger.info(
            "sandbox three-element lookup %s %s %s: %s",
            mask_name(name),
            mask_id_number(id_number),
            mask_phone(phone),
            "found" if row else "no match",
        )
        return _customer(row) if row else None

    async def get_customer(self, customer_id: str) -> Customer | None:
        """See :meth:`server.bank.adapters.CoreBanking.get_customer`."""
        await self._bank.call("core")
        row = self._bank.one("select * from customers where customer_id = ?", (customer_id,))
        return _customer(row) if row else None

    async def list_accounts(self, customer_id: str) -> list[Account]:
        """See :meth:`server.bank.adapters.CoreBanking.list_accounts`."""
        await self._bank.call("core")
        rows = self._bank.db.query("select * from accounts where customer_id = ? order by opened_on", (customer_id,))
        return [_account(r) for r in rows]

    async def get_account(self, account_no: str) -> Account | None:
        """See :meth:`server.bank.adapters.CoreBanking.get_account`."""
        await self._bank.call("core")
        row = self._bank.one("select * from accounts where account_no = ?", ("".join(account_no.split()),))
        return _account(row) if row else None

    async def execute(self, request: BusinessRequest) -> BusinessResult:
        """Execute a business operation; idempotent on ``request.request_id``."""
        await self._bank.call("core")
        db = self._bank.db
        done = self._bank.one("select * from business_log where request_id = ?", (request.request_id,))
        if done is not None:
            return BusinessResult(bool(done["ok"]), done["code"], done["message"], done["reference"])
        if self._bank.one("select 1 from customers where customer_id = ?", (request.customer_id,)) is None:
            raise BankNotFound("客户不存在")
        result = self._apply(request)
        db.table("business_log").insert(
            {
                "request_id": request.request_id,
                "business_type": request.business_type,
                "customer_id": request.customer_id,
                "account_no": request.account_no,
                "ok": int(result.ok),
                "code": result.code,
                "message": result.message,
                "reference": result.reference,
                "at": datetime.now().isoformat(timespec="seconds"),
            }
        )
        logger.info(
            "sandbox business %s for %s account %s: %s",
            request.business_type,
            request.customer_id,
            mask_card_number(request.account_no),
            result.code,
        )
        return result

    def _apply(self, request: BusinessRequest) -> BusinessResult:
        db = self._bank.db
        reference = "SB" + hashlib.sha256(request.request_id.encode()).hexdigest()[:14].upper()
        if request.business_type == "customer_info_maintenance":
            allowed = {"phone", "address"}
            changes = {k: str(v) for k, v in request.params.items() if k in allowed and v}
            if not changes or set(request.params) - allowed:
                raise BankRejected("客户信息维护只能修改手机号(phone)或地址(address)")
            db.table("customers").update(request.customer_id, changes)
            return BusinessResult(True, "done", "客户信息已更新", reference)
        account = None
        if request.account_no:
            account = self._bank.one("select * from accounts where account_no = ?", (request.account_no,))
        if account is None or account["customer_id"] != request.customer_id:
            raise BankRejected("账户不存在或不属于该客户")
        status = AccountStatus(account["status"])
        needed, becomes = _BUSINESS_RULES.get(request.business_type, ({AccountStatus.NORMAL}, None))
        if status not in needed:
            return BusinessResult(False, "status_not_allowed", f"账户当前状态不能办理该业务(状态:{status.value})")
        if becomes is not None:
            db.table("accounts").update(account["account_no"], {"status": str(becomes)})
        return BusinessResult(True, "done", "业务已办理成功", reference)


class SandboxNetworkCheck:
    """联网核查 of the sandbox: answers from its registry table."""

    def __init__(self, bank: SandboxBank) -> None:
        self._bank = bank

    async def check(self, id_number: str, name: str) -> NetworkCheckResult:
        """See :meth:`server.bank.adapters.NetworkCheckService.check`."""
        await self._bank.call("network_check")
        number = id_number.strip().upper()
        row = self._bank.one("select * from registry where id_number = ?", (number,))
        reference = "NC" + hashlib.sha256(f"{number}|{name}|{random.random()}".encode()).hexdigest()[:16].upper()
        if row is not None and row["fault"] == "timeout":
            raise BankTimeout("联网核查系统响应超时")
        if row is not None and row["fault"] == "flaky":
            attempt = self._bank.flaky_attempt(number)
            if attempt == 1:
                raise BankTimeout("联网核查系统响应超时")
            if attempt == 2:
                raise BankUnavailable("联网核查系统繁忙,请稍后重试")
        if row is None:
            verdict = NetworkCheckVerdict.NOT_FOUND
        elif row["name"] != name.strip():
            verdict = NetworkCheckVerdict.MISMATCH
        else:
            verdict = NetworkCheckVerdict.MATCH
        photo = (
            self._bank.photo_bytes(row["photo_file"])
            if row and verdict is NetworkCheckVerdict.MATCH and row["photo_file"]
            else None
        )
        logger.info(
            "sandbox network check %s: %s%s",
            mask_id_number(number),
            verdict.label,
            "" if photo or verdict is not NetworkCheckVerdict.MATCH else " (照片缺失)",
        )
        return NetworkCheckResult(verdict=verdict, photo=photo, reference=reference)


class SandboxBlacklist:
    """AML and telecom-fraud lists of the sandbox."""

    def __init__(self, bank: SandboxBank) -> None:
        self._bank = bank

    def _hits(self, subject: str, value: str) -> list[BlacklistHit]:
        rows = self._bank.db.query(
            "select * from blacklist where subject = ? and value = ? order by listed_on", (subject, value)
        )
        return [
            BlacklistHit(BlacklistKind(r["kind"]), r["subject"], r["reason"], date.fromisoformat(r["listed_on"]))
            for r in rows
        ]

    async def check_person(self, id_number: str) -> list[BlacklistHit]:
        """See :meth:`server.bank.adapters.BlacklistService.check_person`."""
        await self._bank.call("blacklist")
        return self._hits("id_number", id_number.strip().upper())

    async def check_account(self, account_no: str) -> list[BlacklistHit]:
        """See :meth:`server.bank.adapters.BlacklistService.check_account`."""
        await self._bank.call("blacklist")
        return self._hits("account", "".join(account_no.split()))


class SandboxQuestionBank:
    """Private questions from the sandbox customer's own accounts and history."""

    def __init__(self, bank: SandboxBank) -> None:
        self._bank = bank

    async def questions_for(self, customer_id: str) -> list[QuestionItem]:
        """See :meth:`server.bank.adapters.QuestionBankSource.questions_for`."""
        await self._bank.call("questions")
        bank = self._bank
        customer = bank.one("select * from customers where customer_id = ?", (customer_id,))
        if customer is None:
            raise BankNotFound("客户不存在")
        accounts = list(
            bank.db.query("select * from accounts where customer_id = ? order by opened_on", (customer_id,))
        )
        rng = random.Random(f"{bank.seed}|{customer_id}")  # distractors stable per customer
        items: list[QuestionItem] = []
        phone_last4 = customer["phone"][-4:]
        items.append(
            QuestionItem(
                "phone_last4",
                "您在我行预留的手机号码后四位是?",
                phone_last4,
                _distinct(rng, phone_last4, lambda: f"{rng.randrange(10000):04d}"),
            )
        )
        items.append(
            QuestionItem(
                "account_count",
                "您在我行名下共有几个账户(含已销户)?",
                f"{len(accounts)}个",
                _distinct(rng, f"{len(accounts)}个", lambda: f"{rng.randint(1, 6)}个"),
            )
        )
        last = bank.one(
            "select t.* from transactions t join accounts a on a.account_no = t.account_no "
            "where a.customer_id = ? order by t.at desc limit 1",
            (customer_id,),
        )
        if accounts:
            main = accounts[0] if last is None else next(a for a in accounts if a["account_no"] == last["account_no"])
            tail = main["account_no"][-4:]
            branches = _nearby_branches(main["opening_branch"])
            items.append(
                QuestionItem(
                    "opening_branch",
                    f"您尾号{tail}的卡是在哪个网点开户的?",
                    main["opening_branch"],
                    _distinct(rng, main["opening_branch"], lambda: rng.choice(branches)),
                )
            )
            items.append(
                QuestionItem(
                    "card_type",
                    f"您尾号{tail}的卡是哪种卡?",
                    main["card_type"],
                    tuple(t for t in CARD_TYPES if t != main["card_type"])[:3],
                )
            )
            year = int(main["opened_on"][:4])
            items.append(
                QuestionItem(
                    "opened_year",
                    f"您尾号{tail}的卡是哪一年开立的?",
                    f"{year}年",
                    _distinct(rng, f"{year}年", lambda: f"{year + rng.choice((-3, -2, -1, 1, 2, 3))}年"),
                )
            )
        if last is not None:
            band = amount_band(last["amount_cents"])
            items.append(
                QuestionItem(
                    "last_amount_band",
                    "您最近一笔交易的金额大约在哪个范围?",
                    band,
                    tuple(rng.sample([b for b in AMOUNT_BANDS if b != band], 3)),
                )
            )
            items.append(
                QuestionItem(
                    "last_channel",
                    "您最近一笔交易是通过什么渠道办理的?",
                    last["channel"],
                    tuple(rng.sample([c for c in CHANNELS if c != last["channel"]], 3)),
                )
            )
        return items


def _nearby_branches(branch: str) -> list[str]:
    """Branch names in the same city as ``branch`` (plausible wrong answers)."""
    city = branch[:2]
    names = {branch}
    for region in REGIONS.values():
        if (region.city or region.province).startswith(city) and region.district:
            district = region.district.removesuffix("区")
            names.update(f"{city}{district}{suffix}" for suffix in ("支行", "支行营业部"))
    if len(names) < 5:
        names.update(f"{city}{area}支行" for area in ("城东", "城西", "城南", "城北", "开发区", "高新区"))
    names.discard(branch)
    return sorted(names)


def _distinct(rng: random.Random, correct: str, make: Any, count: int = 3) -> tuple[str, ...]:
    out: list[str] = []
    while len(out) < count:
        candidate = make()
        if candidate != correct and candidate not in out:
            out.append(candidate)
    return tuple(out)
