"""Interfaces to the bank's systems (core banking, 联网核查, blacklists, question bank) and the values they exchange.

Every method is async and may raise :class:`BankError` subclasses; a bank plugs in its own implementation by
registering an adapter set (see :mod:`server.bank.registry`). Values are plain frozen dataclasses so that the
identity gates can check them without knowing which bank produced them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from server.identity.idnumber import mask_card_number, mask_id_number, mask_name, mask_phone

__all__ = [
    "ACCOUNT_STATUS_LABELS",
    "Account",
    "AccountStatus",
    "BankAdapters",
    "BankError",
    "BankNotFound",
    "BankRejected",
    "BankTimeout",
    "BankUnavailable",
    "BlacklistHit",
    "BlacklistKind",
    "BlacklistService",
    "BusinessRequest",
    "BusinessResult",
    "CoreBanking",
    "Customer",
    "NetworkCheckResult",
    "NetworkCheckService",
    "NetworkCheckVerdict",
    "QuestionBankSource",
    "QuestionItem",
]


# --- errors ---


class BankError(Exception):
    """A bank system call failed.

    Attributes:
        code: stable machine-readable code (``timeout``, ``unavailable``, ``not_found``, ``rejected``...).
        message: Chinese explanation safe to show to a teller (never a full ID, card or phone number).
        retryable: whether trying the same call again may succeed.
    """

    code = "bank_error"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BankTimeout(BankError):
    """The bank system did not answer in time (超时)."""

    code = "timeout"
    retryable = True


class BankUnavailable(BankError):
    """A transient failure: the system is busy or a connection broke (系统繁忙)."""

    code = "unavailable"
    retryable = True


class BankNotFound(BankError):
    """The thing asked for does not exist (e.g. unknown account)."""

    code = "not_found"


class BankRejected(BankError):
    """The bank refused the request as malformed or not allowed."""

    code = "rejected"


# --- core banking ---


class AccountStatus(StrEnum):
    """Account status as core banking reports it."""

    NORMAL = "normal"
    DORMANT = "dormant"
    CLOSED = "closed"
    REPORTED_LOST = "reported_lost"
    FROZEN = "frozen"


ACCOUNT_STATUS_LABELS: dict[AccountStatus, str] = {
    AccountStatus.NORMAL: "正常",
    AccountStatus.DORMANT: "久悬",
    AccountStatus.CLOSED: "销户",
    AccountStatus.REPORTED_LOST: "挂失",
    AccountStatus.FROZEN: "冻结",
}


@dataclass(frozen=True)
class Customer:
    """A personal customer (个人客户) in core banking.

    Attributes:
        customer_id: the bank's customer number (客户号).
        name: full name as on the ID card.
        id_number: 18-character resident ID number.
        phone: mobile number registered with the bank (预留手机号).
        sex: "男" or "女".
        birth_date: date of birth.
        address: address as on the ID card.
        ethnicity: ethnic group as on the ID card (e.g. "汉").
    """

    customer_id: str
    name: str
    id_number: str
    phone: str
    sex: str
    birth_date: date
    address: str
    ethnicity: str = "汉"

    def masked(self) -> dict[str, str]:
        """A log- and screen-safe summary."""
        return {
            "customer_id": self.customer_id,
            "name": mask_name(self.name),
            "id_number": mask_id_number(self.id_number),
            "phone": mask_phone(self.phone),
        }


@dataclass(frozen=True)
class Account:
    """An account or card (账户/卡) held by a customer.

    Attributes:
        account_no: the card or account number.
        customer_id: owner's customer number.
        status: current status.
        card_type: product name (e.g. "借记卡(I类)").
        opening_branch: branch where it was opened (开户网点).
        opened_on: opening date.
    """

    account_no: str
    customer_id: str
    status: AccountStatus
    card_type: str
    opening_branch: str
    opened_on: date

    @property
    def status_label(self) -> str:
        """Chinese label of the status."""
        return ACCOUNT_STATUS_LABELS[self.status]

    @property
    def masked_no(self) -> str:
        """The account number masked for logs and screens."""
        return mask_card_number(self.account_no)


@dataclass(frozen=True)
class BusinessRequest:
    """A business operation to execute in core banking once every identity gate passed.

    Attributes:
        request_id: idempotency key chosen by the caller (the same id is never executed twice).
        business_type: a :class:`wire.BusinessType` value.
        customer_id: the verified customer.
        account_no: the account concerned, if any.
        params: business-specific fields (e.g. ``{"new_phone": ...}`` for customer-info update).
    """

    request_id: str
    business_type: str
    customer_id: str
    account_no: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BusinessResult:
    """Outcome of a business operation.

    Attributes:
        ok: whether it was done.
        code: machine code (``done``, ``status_not_allowed``, ``duplicate``...).
        message: Chinese message for teller and customer.
        reference: core banking's transaction reference (流水号) when done.
    """

    ok: bool
    code: str
    message: str
    reference: str | None = None


@runtime_checkable
class CoreBanking(Protocol):
    """Core banking system (核心系统)."""

    async def find_customer(self, name: str, id_number: str, phone: str) -> Customer | None:
        """The customer whose name, ID number and registered phone all match (三要素), or None."""
        ...

    async def get_customer(self, customer_id: str) -> Customer | None:
        """A customer by customer number, or None."""
        ...

    async def list_accounts(self, customer_id: str) -> list[Account]:
        """All accounts of a customer, in any status."""
        ...

    async def get_account(self, account_no: str) -> Account | None:
        """One account by number, or None."""
        ...

    async def execute(self, request: BusinessRequest) -> BusinessResult:
        """Execute a business operation (password reset, activation, loss-report release, info update...)."""
        ...


# --- 联网核查 ---


class NetworkCheckVerdict(StrEnum):
    """Answer of the citizen identity network check (公民身份信息联网核查)."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"

    @property
    def label(self) -> str:
        """The wording the check system uses."""
        return {"match": "一致", "mismatch": "不一致", "not_found": "库中无此号"}[self.value]


@dataclass(frozen=True)
class NetworkCheckResult:
    """One network-check answer.

    Attributes:
        verdict: 一致 / 不一致 / 库中无此号.
        photo: the registered photo (JPEG/PNG bytes) when the verdict is a match and the registry has one.
        reference: the check system's reference number (核查流水号).
    """

    verdict: NetworkCheckVerdict
    photo: bytes | None = None
    reference: str = ""

    @property
    def photo_missing(self) -> bool:
        """A match without a registered photo (照片缺失)."""
        return self.verdict is NetworkCheckVerdict.MATCH and not self.photo


@runtime_checkable
class NetworkCheckService(Protocol):
    """The citizen identity network check (联网核查)."""

    async def check(self, id_number: str, name: str) -> NetworkCheckResult:
        """Check an ID number and name against the national registry."""
        ...


# --- blacklists ---


class BlacklistKind(StrEnum):
    """Which list an entry is on."""

    AML = "aml"  # 反洗钱
    TELECOM_FRAUD = "telecom_fraud"  # 电信诈骗(涉案账户/人员)

    @property
    def label(self) -> str:
        """Chinese name of the list (for tellers only: never tell a customer they are on an AML list)."""
        return {"aml": "反洗钱黑名单", "telecom_fraud": "电信网络诈骗黑名单"}[self.value]


@dataclass(frozen=True)
class BlacklistHit:
    """A match on a blacklist.

    Attributes:
        kind: the list.
        subject: ``id_number`` or ``account``: what matched.
        reason: the list's reason text (for tellers).
        listed_on: date the entry was added.
    """

    kind: BlacklistKind
    subject: str
    reason: str
    listed_on: date


@runtime_checkable
class BlacklistService(Protocol):
    """AML and telecom-fraud blacklists."""

    async def check_person(self, id_number: str) -> list[BlacklistHit]:
        """Hits for a person (by ID number); empty when clean."""
        ...

    async def check_account(self, account_no: str) -> list[BlacklistHit]:
        """Hits for an account; empty when clean."""
        ...


# --- question bank ---


@dataclass(frozen=True)
class QuestionItem:
    """One private question built from the customer's own data.

    Attributes:
        kind: stable kind (``opening_branch``, ``last_amount_band``, ``phone_last4``, ``card_type``...); a question
            set never repeats a kind.
        prompt: the question as the teller reads it.
        correct: the right answer.
        distractors: plausible wrong answers (at least two, none equal to ``correct``).
    """

    kind: str
    prompt: str
    correct: str
    distractors: tuple[str, ...]


@runtime_checkable
class QuestionBankSource(Protocol):
    """Source of private questions (私密问题)."""

    async def questions_for(self, customer_id: str) -> list[QuestionItem]:
        """All questions that can be asked of this customer."""
        ...


# --- the set ---


@dataclass
class BankAdapters:
    """The bank systems one server talks to, as chosen by configuration.

    Attributes:
        name: adapter-set name (``sandbox``, ``http``...).
        core: core banking.
        network_check: 联网核查.
        blacklist: blacklists.
        questions: question-bank source.
        closers: coroutines to run on shutdown (HTTP clients, databases).
    """

    name: str
    core: CoreBanking
    network_check: NetworkCheckService
    blacklist: BlacklistService
    questions: QuestionBankSource
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Release connections and files."""
        for close in self.closers:
            await close()
        self.closers.clear()
