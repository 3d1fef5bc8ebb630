"""Star levels (客户星级, 0-7) for priority queueing (星级插队), resolved on the server from bank data.

The customer's page never says its star level. For now the level comes from the account the identity pre-check
matched in the bank (the sandbox bank's card products): a small pluggable function, to be replaced by the bank's own
customer grading when a bank adapter offers one.
"""

from __future__ import annotations

from typing import Any

from server.routing.config import MAX_STAR

CARD_TYPE_STARS: dict[str, int] = {
    "借记卡(金卡)": 3,
    "借记卡(白金卡)": 5,
    "借记卡(钻石卡)": 6,
    "私人银行卡": 7,
}
"""Card product -> star level; anything else is 0."""


def star_from_card_type(card_type: str | None) -> int:
    """The star level a card product gives (0 if unknown)."""
    return max(0, min(MAX_STAR, CARD_TYPE_STARS.get(card_type or "", 0)))


def star_for_precheck(precheck: Any) -> int:
    """The star level of a passed pre-check's customer: from the bank account it matched; 0 if none is known.

    Args:
        precheck: a ``server.verification.service.PendingPrecheck`` (its gate machine holds the matched account).
    """
    machine = getattr(precheck, "machine", None)
    account = getattr(machine, "_account", None) or getattr(machine, "account", None)
    return star_from_card_type(getattr(account, "card_type", None))
