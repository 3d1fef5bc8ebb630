"""Business types (业务类型) a customer can queue for, with the labels tellers and customers see."""

from enum import StrEnum


class BusinessType(StrEnum):
    """A remote-bank business; the value is the stable code used on the wire and in the database."""

    ACCOUNT_ACTIVATION = "account_activation"
    PASSWORD_RESET = "password_reset"
    LOSS_REPORT_RELEASE = "loss_report_release"
    CUSTOMER_INFO_MAINTENANCE = "customer_info_maintenance"
    SMS_SIGNING = "sms_signing"
    CORPORATE_WILLINGNESS_CHECK = "corporate_willingness_check"
    REMOTE_AUTHORISATION = "remote_authorisation"


BUSINESS_TYPES: dict[BusinessType, str] = {
    BusinessType.ACCOUNT_ACTIVATION: "账户激活",
    BusinessType.PASSWORD_RESET: "密码重置",
    BusinessType.LOSS_REPORT_RELEASE: "挂失解挂",
    BusinessType.CUSTOMER_INFO_MAINTENANCE: "客户信息维护",
    BusinessType.SMS_SIGNING: "短信签约",
    BusinessType.CORPORATE_WILLINGNESS_CHECK: "对公意愿核实",
    BusinessType.REMOTE_AUTHORISATION: "远程授权",
}


def business_label(code: str) -> str:
    """The Chinese label of a business code, or the code itself when unknown."""
    try:
        return BUSINESS_TYPES[BusinessType(code)]
    except ValueError:
        return code
