<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>BusinessFormPanel</name>
    <message>
        <location filename="../../seat_client/views/business_form_panel.py" line="33" />
        <source>业务办理</source>
        <translation>Business</translation>
    </message>
</context>
<context>
    <name>CustomerPanel</name>
    <message>
        <location filename="../../seat_client/views/customer_panel.py" line="18" />
        <source>客户信息</source>
        <translation>Customer</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="79" />
        <source>VideoTeller 坐席工作台</source>
        <translation>VideoTeller Teller Workstation</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="114" />
        <source>客户信息</source>
        <translation>Customer</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="115" />
        <source>身份核验</source>
        <translation>Verification</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="116" />
        <source>签名审核</source>
        <translation>Signature review</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="117" />
        <source>业务办理</source>
        <translation>Business</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="118" />
        <source>话后整理</source>
        <translation>Wrap-up</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="177" />
        <source>接听</source>
        <translation>Answer</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="178" />
        <source>挂断</source>
        <translation>Hang up</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="179" />
        <source>抓拍</source>
        <translation>Snapshot</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="180" />
        <source>下一步话术</source>
        <translation>Next script step</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="181" />
        <source>设置…</source>
        <translation>Settings…</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="182" />
        <source>复制诊断信息</source>
        <translation>Copy diagnostics</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="183" />
        <source>工作台</source>
        <translation>Workstation</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="200" />
        <source>● 双录中</source>
        <translation>● Recording</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/main_window.py" line="200" />
        <source>○ 未录制</source>
        <translation>○ Not recording</translation>
    </message>
</context>
<context>
    <name>ScriptPanel</name>
    <message>
        <location filename="../../seat_client/views/script_panel.py" line="20" />
        <source>话术</source>
        <translation>Script</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="34" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="39" />
        <source>测试扬声器</source>
        <translation>Test speaker</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="47" />
        <source>服务器地址</source>
        <translation>Server address</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="48" />
        <source>摄像头</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="49" />
        <source>麦克风</source>
        <translation>Microphone</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="50" />
        <source>扬声器</source>
        <translation>Speaker</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="51" />
        <source>界面语言</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="55" />
        <source>服务器与设备在下次签入时生效,界面语言在重新启动后生效。</source>
        <translation>Server and devices apply at the next sign-in; the language after a restart.</translation>
    </message>
    <message>
        <location filename="../../seat_client/views/settings_dialog.py" line="96" />
        <source>服务器地址应以 http:// 或 https:// 开头</source>
        <translation>The server address must start with http:// or https://</translation>
    </message>
</context>
<context>
    <name>SignaturePanel</name>
    <message>
        <location filename="../../seat_client/views/signature_panel.py" line="31" />
        <source>签名审核</source>
        <translation>Signature review</translation>
    </message>
</context>
<context>
    <name>TimelinePanel</name>
    <message>
        <location filename="../../seat_client/views/timeline_panel.py" line="15" />
        <source>会话时间线</source>
        <translation>Session timeline</translation>
    </message>
</context>
<context>
    <name>VerificationPanel</name>
    <message>
        <location filename="../../seat_client/views/verification_panel.py" line="52" />
        <source>身份核验</source>
        <translation>Verification</translation>
    </message>
</context>
<context>
    <name>WrapUpPanel</name>
    <message>
        <location filename="../../seat_client/views/wrap_up_panel.py" line="19" />
        <source>话后整理</source>
        <translation>Wrap-up</translation>
    </message>
</context>
</TS>