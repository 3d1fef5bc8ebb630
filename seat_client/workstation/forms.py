"""Business forms (业务表单): the fields each business asks for and their validation (Chinese messages).

The server checks the gates and calls core banking; this only catches typing mistakes before submitting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from seat_client.workstation.texts import N_, T, Text


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


_CONFIRM_ID = FieldSpec("identity_confirmed", N_("Workstation", "已核对客户身份且客户本人意愿办理"), kind="confirm")

FORMS: dict[str, BusinessForm] = {
    "password_reset": BusinessForm(
        "password_reset",
        N_("Workstation", "密码重置"),
        (
            FieldSpec(
                "reset_channel",
                N_("Workstation", "重置方式"),
                kind="choice",
                choices=(
                    ("customer_input", N_("Workstation", "客户在手机页面设置新密码")),
                    ("sms", N_("Workstation", "短信发送临时密码")),
                ),
            ),
            FieldSpec(
                "reason",
                N_("Workstation", "重置原因"),
                kind="choice",
                choices=(("forgotten", N_("Workstation", "遗忘密码")), ("locked", N_("Workstation", "密码锁定"))),
            ),
            _CONFIRM_ID,
        ),
    ),
    "account_activation": BusinessForm(
        "account_activation",
        N_("Workstation", "账户激活"),
        (
            FieldSpec(
                "purpose",
                N_("Workstation", "账户用途"),
                kind="choice",
                choices=(
                    ("salary", N_("Workstation", "代发工资")),
                    ("savings", N_("Workstation", "储蓄")),
                    ("payment", N_("Workstation", "日常消费")),
                    ("other", N_("Workstation", "其他")),
                ),
            ),
            FieldSpec(
                "purpose_note",
                N_("Workstation", "用途说明"),
                required=False,
                pattern=r".{0,60}",
                hint=N_("Workstation", "不超过60字"),
            ),
            _CONFIRM_ID,
        ),
    ),
    "loss_report_release": BusinessForm(
        "loss_report_release",
        N_("Workstation", "挂失解挂"),
        (
            FieldSpec(
                "medium",
                N_("Workstation", "解挂介质"),
                kind="choice",
                choices=(("card", N_("Workstation", "银行卡")), ("passbook", N_("Workstation", "存折"))),
            ),
            FieldSpec("found_confirmed", N_("Workstation", "客户确认已找回卡片/存折"), kind="confirm"),
            _CONFIRM_ID,
        ),
    ),
    "customer_info_maintenance": BusinessForm(
        "customer_info_maintenance",
        N_("Workstation", "客户信息维护"),
        (
            FieldSpec("phone", N_("Workstation", "新手机号"), kind="phone"),
            FieldSpec(
                "address",
                N_("Workstation", "联系地址"),
                required=False,
                pattern=r"[\u4e00-\u9fa5A-Za-z0-9#\-() ()号路街道区县市省室栋单元]{0,80}",
                hint=N_("Workstation", "地址含有不支持的字符或超过80字"),
            ),
            _CONFIRM_ID,
        ),
    ),
}

_PHONE = re.compile(r"1[3-9]\d{9}")


def form_for(business_type: str) -> BusinessForm | None:
    """The form of a business type, or None (the teller then has no form: 暂不支持)."""
    return FORMS.get(business_type)


def validate_form(form: BusinessForm, values: dict[str, str]) -> dict[str, Text | str]:
    """Check ``values`` against ``form``.

    Returns:
        Field name -> error (Chinese as ``str()``, translatable by the views); empty when the form can be submitted.
    """
    errors: dict[str, Text | str] = {}
    for spec in form.fields:
        value = values.get(spec.name, "").strip()
        if spec.kind == "confirm":
            if spec.required and value != "yes":
                errors[spec.name] = T("Workstation", "请确认:{field}").fmt(field=spec.label)
            continue
        if not value:
            if spec.required:
                missing = (
                    T("Workstation", "请填写{field}") if spec.kind != "choice" else T("Workstation", "请选择{field}")
                )
                errors[spec.name] = missing.fmt(field=spec.label)
            continue
        if spec.kind == "choice" and value not in {v for v, _ in spec.choices}:
            errors[spec.name] = T("Workstation", "{field}的选项无效").fmt(field=spec.label)
        elif spec.kind == "phone" and not _PHONE.fullmatch(value):
            errors[spec.name] = N_("Workstation", "手机号应为11位数字,以1开头")
        elif spec.pattern and not re.fullmatch(spec.pattern, value):
            errors[spec.name] = spec.hint or T("Workstation", "{field}格式不正确").fmt(field=spec.label)
    return errors


def form_params(form: BusinessForm, values: dict[str, str]) -> dict[str, str]:
    """The ``params`` to submit: the form's fields only, trimmed, empty optional fields left out."""
    return {s.name: values.get(s.name, "").strip() for s in form.fields if values.get(s.name, "").strip()}
