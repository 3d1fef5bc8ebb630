"""Chinese texts that reach the workstation from elsewhere (the server, the controller, sign-in), marked here so the
English catalogue can translate them when the views show them through :func:`seat_client.i18n.translate_text`.

Messages not listed here (and all customer data, 话术 and server-side gate messages) are shown as they come.
``tests/seat_client/test_i18n_catalogue.py`` checks these lists against their sources.
"""

from __future__ import annotations

from seat_client.workstation.texts import N_

BUSINESS_LABELS = (
    N_("Workstation", "账户激活"),
    N_("Workstation", "密码重置"),
    N_("Workstation", "挂失解挂"),
    N_("Workstation", "客户信息维护"),
    N_("Workstation", "短信签约"),
    N_("Workstation", "对公意愿核实"),
    N_("Workstation", "远程授权"),
)
"""``wire.BUSINESS_TYPES`` labels (the business of an offered call arrives as its Chinese label)."""

CALL_END_MESSAGES = (
    N_("Workstation", "客户已挂断,通话结束"),
    N_("Workstation", "坐席已挂断,通话结束"),
    N_("Workstation", "客户网络连接已断开,通话结束"),
    N_("Workstation", "坐席网络连接已断开,通话结束,请重新取号"),
    N_("Workstation", "您已离开排队"),
    N_("Workstation", "当前暂无坐席可以受理,请稍后再来"),
    N_("Workstation", "服务器已重启,会话已结束,请重新取号"),
    N_("Workstation", "会话异常结束,请重新取号"),
    N_("Workstation", "振铃超时未接听，已转给其他坐席"),
    N_("Workstation", "坐席已签出"),
    N_("Workstation", "坐席连接中断"),
    N_("Workstation", "客户连接中断，通话已结束。"),
    N_("Workstation", "服务重启，本次通话已结束，请重新取号。"),
    N_("Workstation", "通话已结束。"),
    N_("Workstation", "专家邀请已撤回"),
)
"""How the server says a call or an offer ended (``call_ended`` / ``call_withdrawn`` messages)."""

CONTROLLER_MESSAGES = (
    N_("Workstation", "尚未签入"),
    N_("Workstation", "与服务器的连接已中断,请稍候重试"),
    N_("Workstation", "已拒接来电"),
    N_("Workstation", "与服务器的连接中断,通话已结束"),
    N_("Workstation", "与服务器的连接中断,来电已取消"),
    N_("Workstation", "视频通话建立失败"),
    N_("Workstation", "视频连接失败,已挂断"),
    N_("Workstation", "通话已结束"),
)
"""Fixed messages of :class:`seat_client.controller.SeatController` (status bar and the idle call panel)."""

SIGN_IN_MESSAGES = (
    N_("Workstation", "工号或密码错误"),
    N_("Workstation", "无法连接服务器"),
    N_("Workstation", "该坐席已在其他地方登录"),
    N_("Workstation", "请输入工号和密码"),
    N_("Workstation", "工号或密码格式不正确"),
    N_("Workstation", "服务器返回的登录结果无法识别"),
)
"""Fixed sign-in errors of :mod:`seat_client.call.connection` (shown in the login dialog)."""

OCR_CAPTIONS = (
    N_("Workstation", "姓名"),
    N_("Workstation", "性别"),
    N_("Workstation", "民族"),
    N_("Workstation", "出生"),
    N_("Workstation", "住址"),
    N_("Workstation", "证件号"),
    N_("Workstation", "签发机关"),
    N_("Workstation", "有效期"),
)
"""Captions of the ID-card fields in the customer panel."""
