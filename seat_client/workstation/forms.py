"""Business forms (业务表单): the fields each business asks for and their validation (Chinese messages).

The server checks the gates and calls core banking; this only catches typing mistakes before submitting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    """One form field.

    Attributes:
        name: the key sent in ``params``.
        label: Chinese label.
        kind: ``text``, ``choice``, ``phone``, ``confirm`` (a checkbox that must be ticked).
        required: must be filled.
        choices: (value, label) pairs for ``choice``.
        pattern: regular expression the value must match fully (``text``).
        hint: message when the pattern does not match.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    pattern: str | None = None
    hint: str = ""


@dataclass(frozen=True)
class BusinessForm:
    """The form of one business type."""

    business_type: str
    title: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)


_CONFIRM_ID = FieldSpec("identity_confirmed", "已核对客户身份且客户本人意愿办理", kind="confirm")

FORMS: dict[str, BusinessForm] = {
    "password_reset": BusinessForm(
        "password_reset",
        "密码重置",
        (
            FieldSpec(
                "reset_channel",
                "重置方式",
                kind="choice",
                choices=(("customer_input", "客户在手机页面设置新密码"), ("sms", "短信发送临时密码")),
            ),
            FieldSpec("reason", "重置原因", kind="choice", choices=(("forgotten", "遗忘密码"), ("locked", "密码锁定"))),
            _CONFIRM_ID,
        ),
    ),
    "account_activation": BusinessForm(
        "account_activation",
        "账户激活",
        (
            FieldSpec(
                "purpose",
                "账户用途",
                kind="choice",
                choices=(("salary", "代发工资"), ("savings", "储蓄"), ("payment", "日常消费"), ("other", "其他")),
            ),
            FieldSpec("purpose_note", "用途说明", required=False, pattern=r".{0,60}", hint="不超过60字"),
            _CONFIRM_ID,
        ),
    ),
    "loss_report_release": BusinessForm(
        "loss_report_release",
        "挂失解挂",
        (
            FieldSpec(
                "medium",
                "解挂介质",
                kind="choice",
                choices=(("card", "银行卡"), ("passbook", "存折")),
            ),
            FieldSpec("found_confirmed", "客户确认已找回卡片/存折", kind="confirm"),
            _CONFIRM_ID,
        ),
    ),
    "customer_info_maintenance": BusinessForm(
        "customer_info_maintenance",
        "客户信息维护",
        (
            FieldSpec("phone", "新手机号", kind="phone"),
            FieldSpec(
                "address",
                "联系地址",
                required=False,
                pattern=r"[\u4e00-\u9fa5A-Za-z0-9#\-() ()号路街道区县市省室栋单元]{0,80}",
                hint="地址含有不支持的字符或超过80字",
            ),
            _CONFIRM_ID,
        ),
    ),
}

_PHONE = re.compile(r"1[3-9]\d{9}")


def form_for(business_type: str) -> BusinessForm | None:
    """The form of a business type, or None (the teller then has no form: 暂不支持)."""
    return FORMS.get(business_type)


def validate_form(form: BusinessForm, values: dict[str, str]) -> dict[str, str]:
    """Check ``values`` against ``form``.

    Returns:
        Field name -> Chinese error; empty when the form can be submitted.
    """
    errors: dict[str, str] = {}
    for spec in form.fields:
        value = values.get(spec.name, "").strip()
        if spec.kind == "confirm":
            if spec.required and value != "yes":
                errors[spec.name] = f"请确认:{spec.label}"
            continue
        if not value:
            if spec.required:
                errors[spec.name] = f"请填写{spec.label}" if spec.kind != "choice" else f"请选择{spec.label}"
            continue
        if spec.kind == "choice" and value not in {v for v, _ in spec.choices}:
            errors[spec.name] = f"{spec.label}的选项无效"
        elif spec.kind == "phone" and not _PHONE.fullmatch(value):
            errors[spec.name] = "手机号应为11位数字,以1开头"
        elif spec.pattern and not re.fullmatch(spec.pattern, value):
            errors[spec.name] = spec.hint or f"{spec.label}格式不正确"
    return errors


def form_params(form: BusinessForm, values: dict[str, str]) -> dict[str, str]:
    """The ``params`` to submit: the form's fields only, trimmed, empty optional fields left out."""
    return {s.name: values.get(s.name, "").strip() for s in form.fields if values.get(s.name, "").strip()}
