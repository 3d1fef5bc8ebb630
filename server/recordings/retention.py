"""Retention periods of recordings per business type (录像保存期限)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DAY = 86400.0

# Placeholder periods to be confirmed by the bank's compliance office; the longest applies to unknown types so a
# misconfigured business never loses its recordings early.
DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "account_activation": 5 * 365,
    "password_reset": 5 * 365,
    "loss_report_release": 5 * 365,
    "customer_info_maintenance": 5 * 365,
    "sms_signing": 3 * 365,
    "corporate_willingness_check": 10 * 365,
    "remote_authorisation": 10 * 365,
}


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep a recording, per business type code.

    Attributes:
        days: business type code -> days.
        default_days: for codes not listed (defaults to the longest listed period).
    """

    days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RETENTION_DAYS))
    default_days: int | None = None

    def days_for(self, business_type: str) -> int:
        """Retention in days for a business type."""
        if business_type in self.days:
            return self.days[business_type]
        if self.default_days is not None:
            return self.default_days
        return max(self.days.values(), default=10 * 365)

    def seconds_for(self, business_type: str) -> float:
        """Retention in seconds for a business type."""
        return self.days_for(business_type) * DAY
