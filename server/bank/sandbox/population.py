"""Seeded generation of the sandbox bank's population: customers, accounts, transactions, registry and blacklists.

Everything derives from one ``random.Random(seed)``, so the same seed gives the same bank. ID numbers are valid
(real region codes, real birth dates, sex digit matching the sex, GB 11643 check digit); card numbers carry a Luhn
check digit; mobile numbers use real carrier prefixes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from server.bank.adapters import AccountStatus
from server.bank.regions import REGIONS, Region
from server.identity.idnumber import compute_check_digit

__all__ = [
    "CARD_TYPES",
    "CHANNELS",
    "Population",
    "branch_name",
    "card_number",
    "generate_population",
    "generate_transactions",
    "luhn_check_digit",
]

# Frequent surnames (weights roughly follow their share of the population) and given-name characters.
_SURNAMES = (
    ("王", 72),
    ("李", 71),
    ("张", 68),
    ("刘", 53),
    ("陈", 45),
    ("杨", 31),
    ("黄", 23),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 14),
    ("孙", 14),
    ("马", 13),
    ("朱", 13),
    ("胡", 12),
    ("郭", 11),
    ("何", 11),
    ("高", 10),
    ("林", 10),
    ("罗", 10),
    ("郑", 9),
    ("梁", 9),
    ("谢", 7),
    ("宋", 7),
    ("唐", 7),
    ("许", 6),
    ("韩", 6),
    ("冯", 6),
    ("邓", 6),
    ("曹", 5),
    ("彭", 5),
    ("曾", 5),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("袁", 4),
    ("潘", 4),
    ("于", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("余", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("魏", 3),
    ("欧阳", 1),
    ("司马", 1),
)
_GIVEN_MALE = "伟强磊军勇涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林杰建国志文峰东晨阳博亮"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英慧玲婷雪琳颖倩洁佳燕红梅莉萍晶欣怡悦雯璐瑶蕾岚萱"

# Real mobile prefixes of China Mobile, China Unicom and China Telecom.
_MOBILE_PREFIXES = tuple(
    [
        "134",
        "135",
        "136",
        "137",
        "138",
        "139",
        "147",
        "150",
        "151",
        "152",
        "157",
        "158",
        "159",
        "172",
        "178",
        "182",
        "183",
        "184",
        "187",
        "188",
        "198",
        "130",
        "131",
        "132",
        "145",
        "155",
        "156",
        "166",
        "175",
        "176",
        "185",
        "186",
        "133",
        "149",
        "153",
        "173",
        "177",
        "180",
        "181",
        "189",
        "191",
        "199",
    ]
)

_STREETS = (
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "胜利路",
    "文化路",
    "长江路",
    "黄河路",
    "青年路",
    "光明街",
    "朝阳路",
    "复兴路",
    "团结路",
)
_COMMUNITIES = ("幸福里小区", "阳光花园", "锦绣家园", "翠苑", "金色家园", "东方小区", "绿地新城", "景秀苑", "春晖园")

CARD_TYPES = ("借记卡(I类)", "借记卡(II类)", "社保卡(金融功能)", "借记卡(金卡)")
CHANNELS = ("ATM", "手机银行", "柜面", "POS消费", "网上银行", "快捷支付")
_COUNTERPARTIES = ("工资", "转账", "水电燃气缴费", "超市消费", "餐饮消费", "信用卡还款", "理财赎回", "话费充值", "取现")
_BRANCH_SUFFIXES = ("支行营业部", "支行", "分理处")

_STATUS_WEIGHTS = (
    (AccountStatus.NORMAL, 80),
    (AccountStatus.DORMANT, 6),
    (AccountStatus.REPORTED_LOST, 5),
    (AccountStatus.FROZEN, 4),
    (AccountStatus.CLOSED, 5),
)


def luhn_check_digit(body: str) -> str:
    """The Luhn (mod 10) check digit that completes ``body`` into a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number(serial: int) -> str:
    """A 19-digit sandbox card number (BIN 623058) with a Luhn check digit."""
    body = f"623058{serial:012d}"
    return body + luhn_check_digit(body)


@dataclass
class Population:
    """Rows for the sandbox tables (lists of dicts ready for sqlite-utils)."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    registry: list[dict[str, Any]] = field(default_factory=list)
    blacklist: list[dict[str, Any]] = field(default_factory=list)


def _name(rng: random.Random, sex: str) -> str:
    surnames, weights = zip(*_SURNAMES, strict=True)
    surname = rng.choices(surnames, weights=weights)[0]
    pool = _GIVEN_MALE if sex == "男" else _GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2, 2))))
    return surname + given


def _id_number(rng: random.Random, region: Region, birth: date, sex: str, taken: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if sex == "男" else (0, 2, 4, 6, 8))
        first17 = f"{region.code}{birth:%Y%m%d}{seq:03d}"
        number = first17 + compute_check_digit(first17)
        if number not in taken:
            taken.add(number)
            return number


def _address(rng: random.Random, region: Region) -> str:
    return (
        f"{region.address_prefix}{rng.choice(_STREETS)}{rng.randint(1, 300)}号"
        f"{rng.choice(_COMMUNITIES)}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
        f"{rng.randint(1, 28)}{rng.randint(1, 4):02d}室"
    )


def branch_name(region: Region, rng: random.Random) -> str:
    """A plausible branch name in the region (城市 + 区 + suffix)."""
    city = (region.city or region.province).removesuffix("市")
    district = region.district.removesuffix("区") if region.district else ""
    return f"{city}{district}{rng.choice(_BRANCH_SUFFIXES)}"


def generate_transactions(
    rng: random.Random, account_no: str, opened: date, as_of: date, start_id: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    balance = rng.randint(1_000, 200_000) * 100
    start = max(opened, as_of - timedelta(days=730))
    count = rng.randint(4, 14)
    days = sorted(rng.randint(0, max(1, (as_of - start).days)) for _ in range(count))
    for i, offset in enumerate(days):
        day = start + timedelta(days=offset)
        at = datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59)))
        counterparty = rng.choice(_COUNTERPARTIES)
        magnitude = rng.choice(
            (rng.randint(5, 99), rng.randint(100, 999), rng.randint(1_000, 4_999), rng.randint(5_000, 30_000))
        )
        amount = magnitude * 100 + rng.randint(0, 99)
        if counterparty not in ("工资", "理财赎回"):
            amount = -min(amount, balance)
        balance += amount
        rows.append(
            {
                "id": start_id + i,
                "account_no": account_no,
                "at": at.isoformat(),
                "amount_cents": amount,
                "channel": "柜面" if counterparty == "工资" and rng.random() < 0.1 else rng.choice(CHANNELS),
                "summary": counterparty,
                "balance_cents": balance,
            }
        )
    return rows


def generate_population(seed: int, size: int, *, as_of: date, taken_ids: set[str] | None = None) -> Population:
    """Generate ``size`` customers with their accounts, history, registry entries and blacklist entries.

    Args:
        seed: RNG seed; the same seed and size give identical rows.
        size: number of customers.
        as_of: the sandbox's "today" for histories (transactions happen before it).
        taken_ids: ID numbers already used (demo customers), never generated again.

    Every account status appears at least once when ``size`` >= 5, and both blacklist kinds appear when
    ``size`` >= 20.
    """
    rng = random.Random(seed)
    pop = Population()
    taken = set(taken_ids or ())
    regions = list(REGIONS.values())
    statuses = [s for s, _ in _STATUS_WEIGHTS]
    status_weights = [w for _, w in _STATUS_WEIGHTS]
    account_serial = 100_000
    txn_id = 1
    for i in range(size):
        sex = rng.choice(("男", "女"))
        region = rng.choice(regions)
        birth = date(rng.randint(1950, 2005), rng.randint(1, 12), 1) + timedelta(days=rng.randint(0, 27))
        number = _id_number(rng, region, birth, sex, taken)
        name = _name(rng, sex)
        customer_id = f"C{1_000_000_000 + i:010d}"
        phone = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        pop.customers.append(
            {
                "customer_id": customer_id,
                "name": name,
                "id_number": number,
                "phone": phone,
                "sex": sex,
                "birth_date": birth.isoformat(),
                "address": _address(rng, region),
                "ethnicity": rng.choices(("汉", "回", "满", "壮", "蒙古"), weights=(90, 3, 3, 2, 2))[0],
                "region_code": region.code,
                "demo_key": None,
            }
        )
        for j in range(rng.choice((1, 1, 2, 2, 3))):
            account_serial += 1
            account_no = card_number(account_serial)
            earliest = max(birth + timedelta(days=16 * 365), date(1998, 1, 1))
            opened = earliest + timedelta(days=rng.randint(0, max(1, (as_of - earliest).days - 30)))
            status = statuses[i % 5] if i < 5 and j == 0 else rng.choices(statuses, weights=status_weights)[0]
            pop.accounts.append(
                {
                    "account_no": account_no,
                    "customer_id": customer_id,
                    "status": str(status),
                    "card_type": rng.choice(CARD_TYPES),
                    "opening_branch": branch_name(region, rng),
                    "opened_on": opened.isoformat(),
                }
            )
            txns = generate_transactions(rng, account_no, opened, as_of, txn_id)
            txn_id += len(txns)
            pop.transactions.extend(txns)
            if rng.random() < 0.01 or (i == 19 and j == 0):
                pop.blacklist.append(
                    {
                        "kind": "telecom_fraud",
                        "subject": "account",
                        "value": account_no,
                        "reason": "公安机关通报涉诈账户",
                        "listed_on": (as_of - timedelta(days=rng.randint(10, 400))).isoformat(),
                    }
                )
        roll = rng.random()
        registry_name = name
        if roll < 0.02:
            registry_name = name[0] + rng.choice(_GIVEN_MALE if sex == "男" else _GIVEN_FEMALE) + name[1:]
        photo: str | None = rng.choice(("obama.jpg", "biden.jpg")) if sex == "男" else "astronaut.png"
        if 0.02 <= roll < 0.05:
            photo = None
        if not (0.05 <= roll < 0.07):  # ~2% not in the registry at all (库中无此号)
            pop.registry.append({"id_number": number, "name": registry_name, "photo_file": photo, "fault": None})
        if rng.random() < 0.02 or i == 17:
            pop.blacklist.append(
                {
                    "kind": "aml",
                    "subject": "id_number",
                    "value": number,
                    "reason": "涉嫌洗钱,人民银行协查名单",
                    "listed_on": (as_of - timedelta(days=rng.randint(10, 900))).isoformat(),
                }
            )
        if i == 18:
            pop.blacklist.append(
                {
                    "kind": "telecom_fraud",
                    "subject": "id_number",
                    "value": number,
                    "reason": "电信网络诈骗涉案人员",
                    "listed_on": (as_of - timedelta(days=rng.randint(10, 400))).isoformat(),
                }
            )
    return pop
