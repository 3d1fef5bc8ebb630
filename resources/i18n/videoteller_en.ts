<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>BusinessFormPanel</name>
    <message>
        <source>业务办理</source>
        <translation>Business</translation>
    </message>
    <message>
        <source>暂无通话</source>
        <translation>No call</translation>
    </message>
    <message>
        <source>提交办理</source>
        <translation>Submit</translation>
    </message>
    <message>
        <source>请选择</source>
        <translation>Please choose</translation>
    </message>
    <message>
        <source>11位手机号</source>
        <translation>11-digit mobile number</translation>
    </message>
    <message>
        <source>正在提交…</source>
        <translation>Submitting…</translation>
    </message>
    <message>
        <source>暂不支持在工作台办理「{business}」</source>
        <translation>“{business}” cannot be handled at the workstation yet</translation>
    </message>
    <message>
        <source>✔ 办理成功:{message}</source>
        <translation>✔ Done: {message}</translation>
    </message>
    <message>
        <source>✘ 办理失败:{message}</source>
        <translation>✘ Failed: {message}</translation>
    </message>
</context>
<context>
    <name>CallPanel</name>
    <message>
        <source>来电与通话</source>
        <translation>Calls</translation>
    </message>
    <message>
        <source>暂无来电</source>
        <translation>No incoming call</translation>
    </message>
    <message>
        <source>接听</source>
        <translation>Answer</translation>
    </message>
    <message>
        <source>拒接</source>
        <translation>Decline</translation>
    </message>
    <message>
        <source>客户来电</source>
        <translation>Incoming call</translation>
    </message>
    <message>
        <source>通话时长 {duration}</source>
        <translation>Call time {duration}</translation>
    </message>
    <message>
        <source>挂断</source>
        <translation>Hang up</translation>
    </message>
    <message>
        <source>转接</source>
        <translation>Transfer</translation>
    </message>
    <message>
        <source>将客户转至其他业务队列或指定坐席</source>
        <translation>Transfer the customer to another business queue or a named teller</translation>
    </message>
    <message>
        <source>业务:{business}</source>
        <translation>Business: {business}</translation>
    </message>
    <message>
        <source>客户:{customer}</source>
        <translation>Customer: {customer}</translation>
    </message>
    <message>
        <source>(未留姓名)</source>
        <translation>(no name given)</translation>
    </message>
    <message>
        <source>已等待 {duration}</source>
        <translation>Waited {duration}</translation>
    </message>
    <message>
        <source> · 请在 {seconds} 秒内接听</source>
        <translation> · answer within {seconds} s</translation>
    </message>
</context>
<context>
    <name>CustomerPanel</name>
    <message>
        <source>客户信息</source>
        <translation>Customer</translation>
    </message>
    <message>
        <source>证件照</source>
        <translation>ID photo</translation>
    </message>
    <message>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>业务</source>
        <translation>Business</translation>
    </message>
    <message>
        <source>星级</source>
        <translation>Star level</translation>
    </message>
    <message>
        <source>等待</source>
        <translation>Waited</translation>
    </message>
    <message>
        <source>账户</source>
        <translation>Accounts</translation>
    </message>
    <message>
        <source>(未识别)</source>
        <translation>(not read)</translation>
    </message>
    <message>
        <source>普通客户</source>
        <translation>Standard customer</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>请输入服务器地址</source>
        <translation>Please enter the server address</translation>
    </message>
    <message>
        <source>服务器地址必须以 http:// 或 https:// 开头</source>
        <translation>The server address must start with http:// or https://</translation>
    </message>
    <message>
        <source>请输入工号</source>
        <translation>Please enter your teller ID</translation>
    </message>
    <message>
        <source>请输入密码</source>
        <translation>Please enter your password</translation>
    </message>
    <message>
        <source>正在签入…</source>
        <translation>Signing in…</translation>
    </message>
    <message>
        <source>签入</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <source>坐席签入 - VideoTeller</source>
        <translation>Teller sign-in - VideoTeller</translation>
    </message>
    <message>
        <source>远程视频银行 · 坐席工作台</source>
        <translation>Remote video banking · Teller workstation</translation>
    </message>
    <message>
        <source>服务器地址</source>
        <translation>Server address</translation>
    </message>
    <message>
        <source>http://服务器:8000</source>
        <translation>http://server:8000</translation>
    </message>
    <message>
        <source>工号</source>
        <translation>Teller ID</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>退出</source>
        <translation>Quit</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>未连接</source>
        <translation>not connected</translation>
    </message>
    <message>
        <source>正在连接…</source>
        <translation>connecting…</translation>
    </message>
    <message>
        <source>已连接</source>
        <translation>connected</translation>
    </message>
    <message>
        <source>连接中断,正在重连…</source>
        <translation>connection lost, reconnecting…</translation>
    </message>
    <message>
        <source>已断开</source>
        <translation>disconnected</translation>
    </message>
    <message>
        <source>VideoTeller 坐席工作台</source>
        <translation>VideoTeller Teller Workstation</translation>
    </message>
    <message>
        <source>网络:-</source>
        <translation>Network: -</translation>
    </message>
    <message>
        <source>客户信息</source>
        <translation>Customer</translation>
    </message>
    <message>
        <source>身份核验</source>
        <translation>Verification</translation>
    </message>
    <message>
        <source>签名审核</source>
        <translation>Signature review</translation>
    </message>
    <message>
        <source>业务办理</source>
        <translation>Business</translation>
    </message>
    <message>
        <source>话后整理</source>
        <translation>Wrap-up</translation>
    </message>
    <message>
        <source>接听</source>
        <translation>Answer</translation>
    </message>
    <message>
        <source>挂断</source>
        <translation>Hang up</translation>
    </message>
    <message>
        <source>抓拍</source>
        <translation>Snapshot</translation>
    </message>
    <message>
        <source>下一步话术</source>
        <translation>Next script step</translation>
    </message>
    <message>
        <source>设置…</source>
        <translation>Settings…</translation>
    </message>
    <message>
        <source>复制诊断信息</source>
        <translation>Copy diagnostics</translation>
    </message>
    <message>
        <source>录像查询…</source>
        <translation>Recordings…</translation>
    </message>
    <message>
        <source>工作台</source>
        <translation>Workstation</translation>
    </message>
    <message>
        <source>● 双录中</source>
        <translation>● Recording</translation>
    </message>
    <message>
        <source>○ 未录制</source>
        <translation>○ Not recording</translation>
    </message>
    <message>
        <source>坐席:{name}({seat_id})</source>
        <translation>Teller: {name} ({seat_id})</translation>
    </message>
    <message>
        <source>状态:{state}</source>
        <translation>State: {state}</translation>
    </message>
    <message>
        <source>排队人数:{count}</source>
        <translation>Waiting: {count}</translation>
    </message>
    <message>
        <source>服务器:{status}</source>
        <translation>Server: {status}</translation>
    </message>
</context>
<context>
    <name>RecordingsDialog</name>
    <message>
        <source>会话</source>
        <translation>Session</translation>
    </message>
    <message>
        <source>坐席</source>
        <translation>Teller</translation>
    </message>
    <message>
        <source>业务</source>
        <translation>Business</translation>
    </message>
    <message>
        <source>客户</source>
        <translation>Customer</translation>
    </message>
    <message>
        <source>排队时间</source>
        <translation>Queued at</translation>
    </message>
    <message>
        <source>录像时长</source>
        <translation>Length</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>客户投诉</source>
        <translation>Customer complaint</translation>
    </message>
    <message>
        <source>纠纷处理</source>
        <translation>Dispute handling</translation>
    </message>
    <message>
        <source>监管检查</source>
        <translation>Regulatory inspection</translation>
    </message>
    <message>
        <source>内部稽核</source>
        <translation>Internal audit</translation>
    </message>
    <message>
        <source>事件</source>
        <translation>event</translation>
    </message>
    <message>
        <source>核验</source>
        <translation>check</translation>
    </message>
    <message>
        <source>录像分段</source>
        <translation>segment</translation>
    </message>
    <message>
        <source>抓拍</source>
        <translation>snapshot</translation>
    </message>
    <message>
        <source>签名</source>
        <translation>signature</translation>
    </message>
    <message>
        <source>封存</source>
        <translation>seal</translation>
    </message>
    <message>
        <source>访问</source>
        <translation>access</translation>
    </message>
    <message>
        <source>录像查询</source>
        <translation>Recordings</translation>
    </message>
    <message>
        <source>工号（留空为全部）</source>
        <translation>Teller ID (empty: all)</translation>
    </message>
    <message>
        <source>业务类型代码，如 password_reset</source>
        <translation>Business code, e.g. password_reset</translation>
    </message>
    <message>
        <source>客户姓名（部分即可）</source>
        <translation>Customer name (part is enough)</translation>
    </message>
    <message>
        <source>按日期</source>
        <translation>By date</translation>
    </message>
    <message>
        <source>查询</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>至</source>
        <translation>to</translation>
    </message>
    <message>
        <source>日期</source>
        <translation>Date</translation>
    </message>
    <message>
        <source>上一页</source>
        <translation>Previous</translation>
    </message>
    <message>
        <source>下一页</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>播放所选</source>
        <translation>Play selected</translation>
    </message>
    <message>
        <source>必填，如客户投诉、纠纷处理</source>
        <translation>Required, e.g. customer complaint, dispute handling</translation>
    </message>
    <message>
        <source>导出证据包…</source>
        <translation>Export evidence package…</translation>
    </message>
    <message>
        <source>取消导出</source>
        <translation>Cancel export</translation>
    </message>
    <message>
        <source>用途</source>
        <translation>Purpose</translation>
    </message>
    <message>
        <source>播放失败：{error}</source>
        <translation>Playback failed: {error}</translation>
    </message>
    <message>
        <source>播放</source>
        <translation>Play</translation>
    </message>
    <message>
        <source>双击查询结果播放录像</source>
        <translation>Double-click a result to play its recording</translation>
    </message>
    <message>
        <source>会话轨迹（证据链）</source>
        <translation>Session trail (evidence chain)</translation>
    </message>
    <message>
        <source>请先在查询结果中选择要导出的会话</source>
        <translation>Select the session to export in the search results first</translation>
    </message>
    <message>
        <source>请填写导出用途（必填），如客户投诉、纠纷处理</source>
        <translation>Enter the purpose of the export (required), e.g. customer complaint, dispute handling</translation>
    </message>
    <message>
        <source>保存证据包</source>
        <translation>Save evidence package</translation>
    </message>
    <message>
        <source>证据包 (*.zip)</source>
        <translation>Evidence package (*.zip)</translation>
    </message>
    <message>
        <source>正在核验证据并准备证据包…</source>
        <translation>Verifying the evidence and preparing the package…</translation>
    </message>
    <message>
        <source>已下载 {done} / {total}</source>
        <translation>Downloaded {done} / {total}</translation>
    </message>
    <message>
        <source>已下载 {done} / 约 {total}</source>
        <translation>Downloaded {done} / about {total}</translation>
    </message>
    <message>
        <source>已下载 {done}</source>
        <translation>Downloaded {done}</translation>
    </message>
    <message>
        <source>证据包已保存：{path}（{size}，{count} 个文件）</source>
        <translation>Evidence package saved: {path} ({size}, {count} files)</translation>
    </message>
    <message>
        <source>已封存</source>
        <translation>Sealed</translation>
    </message>
    <message>
        <source>录像完整</source>
        <translation>Complete</translation>
    </message>
    <message>
        <source>上传中/不完整</source>
        <translation>Uploading / incomplete</translation>
    </message>
    <message>
        <source>无录像</source>
        <translation>No recording</translation>
    </message>
    <message>
        <source>第 {page}/{pages} 页，共 {total} 条</source>
        <translation>Page {page}/{pages}, {total} in all</translation>
    </message>
    <message>
        <source>证据链完整</source>
        <translation>evidence chain intact</translation>
    </message>
    <message>
        <source>证据链异常：{problems}</source>
        <translation>evidence chain broken: {problems}</translation>
    </message>
    <message>
        <source>会话 {session_id} · 坐席 {seat_id} · {business} · 客户 {customer} · {chain}</source>
        <translation>Session {session_id} · teller {seat_id} · {business} · customer {customer} · {chain}</translation>
    </message>
    <message>
        <source>第 {index} 段 {start}</source>
        <translation>Part {index} {start}</translation>
    </message>
    <message>
        <source>该会话没有可播放的录像</source>
        <translation>This session has no recording to play</translation>
    </message>
    <message>
        <source>暂停</source>
        <translation>Pause</translation>
    </message>
</context>
<context>
    <name>ScriptPanel</name>
    <message>
        <source>话术</source>
        <translation>Script</translation>
    </message>
    <message>
        <source>暂无通话</source>
        <translation>No call</translation>
    </message>
    <message>
        <source>下一步 (F9)</source>
        <translation>Next step (F9)</translation>
    </message>
    <message>
        <source>接听后显示本业务话术</source>
        <translation>The script shows once the call is answered</translation>
    </message>
    <message>
        <source>正在加载话术…</source>
        <translation>Loading the script…</translation>
    </message>
</context>
<context>
    <name>SeatStatePanel</name>
    <message>
        <source>离线</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>示闲(等待来电)</source>
        <translation>Ready (waiting for calls)</translation>
    </message>
    <message>
        <source>示忙</source>
        <translation>Not ready</translation>
    </message>
    <message>
        <source>振铃中</source>
        <translation>Ringing</translation>
    </message>
    <message>
        <source>通话中</source>
        <translation>In call</translation>
    </message>
    <message>
        <source>话后整理</source>
        <translation>Wrap-up</translation>
    </message>
    <message>
        <source>小休</source>
        <translation>Break</translation>
    </message>
    <message>
        <source>就餐</source>
        <translation>Meal</translation>
    </message>
    <message>
        <source>会议</source>
        <translation>Meeting</translation>
    </message>
    <message>
        <source>培训</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>业务处理</source>
        <translation>Back-office work</translation>
    </message>
    <message>
        <source>坐席状态</source>
        <translation>Teller state</translation>
    </message>
    <message>
        <source>示闲</source>
        <translation>Ready</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>自动(第一个摄像头)</source>
        <translation>Automatic (first camera)</translation>
    </message>
    <message>
        <source>测试画面</source>
        <translation>Test pattern</translation>
    </message>
    <message>
        <source>摄像头 0</source>
        <translation>Camera 0</translation>
    </message>
    <message>
        <source>摄像头 1</source>
        <translation>Camera 1</translation>
    </message>
    <message>
        <source>30 帧/秒(标准)</source>
        <translation>30 fps (standard)</translation>
    </message>
    <message>
        <source>25 帧/秒</source>
        <translation>25 fps</translation>
    </message>
    <message>
        <source>20 帧/秒</source>
        <translation>20 fps</translation>
    </message>
    <message>
        <source>15 帧/秒(省电脑资源)</source>
        <translation>15 fps (lighter on the PC)</translation>
    </message>
    <message>
        <source>自动(默认麦克风)</source>
        <translation>Automatic (default microphone)</translation>
    </message>
    <message>
        <source>测试音</source>
        <translation>Test tone</translation>
    </message>
    <message>
        <source>不使用麦克风</source>
        <translation>No microphone</translation>
    </message>
    <message>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>来电时播放铃声</source>
        <translation>Play a ring for incoming calls</translation>
    </message>
    <message>
        <source>测试扬声器</source>
        <translation>Test speaker</translation>
    </message>
    <message>
        <source>服务器地址</source>
        <translation>Server address</translation>
    </message>
    <message>
        <source>摄像头</source>
        <translation>Camera</translation>
    </message>
    <message>
        <source>本人画面帧率</source>
        <translation>Own video frame rate</translation>
    </message>
    <message>
        <source>麦克风</source>
        <translation>Microphone</translation>
    </message>
    <message>
        <source>扬声器</source>
        <translation>Speaker</translation>
    </message>
    <message>
        <source>来电铃声</source>
        <translation>Ring</translation>
    </message>
    <message>
        <source>界面语言</source>
        <translation>Language</translation>
    </message>
    <message>
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>服务器与设备在下次签入时生效,界面语言在重新启动后生效。</source>
        <translation>Server and devices apply at the next sign-in; the language after a restart.</translation>
    </message>
    <message>
        <source>服务器地址应以 http:// 或 https:// 开头</source>
        <translation>The server address must start with http:// or https://</translation>
    </message>
</context>
<context>
    <name>SignatureCanvas</name>
    <message>
        <source>等待客户签名</source>
        <translation>Waiting for the customer&apos;s signature</translation>
    </message>
</context>
<context>
    <name>SignaturePanel</name>
    <message>
        <source>签名不完整,请签署全名</source>
        <translation>Incomplete signature: please sign your full name</translation>
    </message>
    <message>
        <source>签名潦草无法辨认,请工整签写</source>
        <translation>Signature illegible: please sign clearly</translation>
    </message>
    <message>
        <source>签名与证件姓名不符</source>
        <translation>Signature does not match the name on the ID card</translation>
    </message>
    <message>
        <source>请使用本人签名</source>
        <translation>Please use your own signature</translation>
    </message>
    <message>
        <source>尚未请客户签名</source>
        <translation>The customer has not been asked to sign</translation>
    </message>
    <message>
        <source>已请客户签名,等待客户提交…</source>
        <translation>Asked the customer to sign, waiting…</translation>
    </message>
    <message>
        <source>客户已提交签名,请审核</source>
        <translation>The customer signed: please review</translation>
    </message>
    <message>
        <source>✔ 签名已确认并存证</source>
        <translation>✔ Signature accepted and filed as evidence</translation>
    </message>
    <message>
        <source>已退回,等待客户重签…</source>
        <translation>Sent back, waiting for the customer to sign again…</translation>
    </message>
    <message>
        <source>签名审核</source>
        <translation>Signature review</translation>
    </message>
    <message>
        <source>请客户签名</source>
        <translation>Ask to sign</translation>
    </message>
    <message>
        <source>回放笔迹</source>
        <translation>Replay strokes</translation>
    </message>
    <message>
        <source>确认签名</source>
        <translation>Accept</translation>
    </message>
    <message>
        <source>退回重签</source>
        <translation>Send back</translation>
    </message>
    <message>
        <source>退回签名时请填写原因</source>
        <translation>Please give a reason for sending the signature back</translation>
    </message>
    <message>
        <source>(第{attempt}次)</source>
        <translation> (attempt {attempt})</translation>
    </message>
    <message>
        <source>{state} 原因:{reason}</source>
        <translation>{state} Reason: {reason}</translation>
    </message>
    <message>
        <source>;</source>
        <translation>; </translation>
    </message>
</context>
<context>
    <name>SnapshotStrip</name>
    <message>
        <source>抓拍 (F8)</source>
        <translation>Snapshot (F8)</translation>
    </message>
    <message>
        <source>用作现场人脸</source>
        <translation>Use as the live face</translation>
    </message>
    <message>
        <source>✔已存证</source>
        <translation>✔ filed</translation>
    </message>
    <message>
        <source>上传中</source>
        <translation>uploading</translation>
    </message>
    <message>
        <source>·人脸</source>
        <translation> · face</translation>
    </message>
</context>
<context>
    <name>TimelinePanel</name>
    <message>
        <source>会话时间线</source>
        <translation>Session timeline</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <source>转接</source>
        <translation>Transfer</translation>
    </message>
    <message>
        <source>转至业务队列</source>
        <translation>To a business queue</translation>
    </message>
    <message>
        <source>转至指定坐席</source>
        <translation>To a named teller</translation>
    </message>
    <message>
        <source>队列编号,如 retail</source>
        <translation>Queue ID, e.g. retail</translation>
    </message>
    <message>
        <source>坐席工号</source>
        <translation>Teller ID</translation>
    </message>
    <message>
        <source>转接后本通话结束,客户将由目标坐席继续服务</source>
        <translation>After the transfer this call ends here; the target teller continues serving the customer</translation>
    </message>
    <message>
        <source>队列</source>
        <translation>Queue</translation>
    </message>
    <message>
        <source>队列编号</source>
        <translation>Queue ID</translation>
    </message>
    <message>
        <source>工号</source>
        <translation>Teller ID</translation>
    </message>
    <message>
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>VerificationPanel</name>
    <message>
        <source>身份核验</source>
        <translation>Verification</translation>
    </message>
    <message>
        <source>私密问题</source>
        <translation>Private questions</translation>
    </message>
    <message>
        <source>联网核查:未开始</source>
        <translation>PBOC check: not started</translation>
    </message>
    <message>
        <source>联网核查</source>
        <comment>button: start or retry the check</comment>
        <translation>PBOC check</translation>
    </message>
    <message>
        <source>人脸比对</source>
        <comment>button: start or retry the check</comment>
        <translation>Face match</translation>
    </message>
    <message>
        <source>活体检测</source>
        <comment>button: start or retry the check</comment>
        <translation>Liveness</translation>
    </message>
    <message>
        <source>私密问题</source>
        <comment>button: start or retry the check</comment>
        <translation>Questions</translation>
    </message>
    <message>
        <source>证件照 vs 现场</source>
        <translation>ID photo vs live</translation>
    </message>
    <message>
        <source>联网照 vs 现场</source>
        <translation>PBOC photo vs live</translation>
    </message>
    <message>
        <source>证件照 vs 联网照</source>
        <translation>ID photo vs PBOC photo</translation>
    </message>
    <message>
        <source>活体检测:未开始</source>
        <translation>Liveness: not started</translation>
    </message>
    <message>
        <source>记录答案</source>
        <translation>Record answer</translation>
    </message>
    <message>
        <source>✔ 通过</source>
        <translation>✔ passed</translation>
    </message>
    <message>
        <source>✘ 未通过</source>
        <translation>✘ failed</translation>
    </message>
    <message>
        <source>… 进行中</source>
        <translation>… running</translation>
    </message>
    <message>
        <source>○ 待核验</source>
        <translation>○ pending</translation>
    </message>
    <message>
        <source>— 无需</source>
        <translation>— not required</translation>
    </message>
    <message>
        <source>客户无法回答</source>
        <translation>Customer could not answer</translation>
    </message>
    <message>
        <source>联网照片</source>
        <translation>PBOC photo</translation>
    </message>
    <message>
        <source>:{message}</source>
        <translation>: {message}</translation>
    </message>
    <message>
        <source>✘ {gate}未通过(第{attempt}/{max_attempts}次)</source>
        <translation>✘ {gate} failed (attempt {attempt}/{max_attempts})</translation>
    </message>
    <message>
        <source>联网核查:{status} 第{attempt}/{max_attempts}次</source>
        <translation>PBOC check: {status}, attempt {attempt}/{max_attempts}</translation>
    </message>
    <message>
        <source>
结果:{outcome}</source>
        <translation>
Result: {outcome}</translation>
    </message>
    <message>
        <source>通过阈值 {threshold:.2f}(三组均需达到)</source>
        <translation>Pass mark {threshold:.2f} (all three pairs must reach it)</translation>
    </message>
    <message>
        <source>未检测到人脸</source>
        <translation>no face found</translation>
    </message>
    <message>
        <source>活体检测:{status}</source>
        <translation>Liveness: {status}</translation>
    </message>
</context>
<context>
    <name>Workstation</name>
    <message>
        <source>无法连接服务器,请稍后重试</source>
        <translation>Cannot reach the server, please try again later</translation>
    </message>
    <message>
        <source>服务器拒绝了请求(HTTP {status})</source>
        <translation>The server refused the request (HTTP {status})</translation>
    </message>
    <message>
        <source>服务器返回的签名状态无法识别</source>
        <translation>The server&apos;s signature status could not be read</translation>
    </message>
    <message>
        <source>服务器返回的队列列表无法识别</source>
        <translation>The server&apos;s queue list could not be read</translation>
    </message>
    <message>
        <source>服务器返回的话后小结无法识别</source>
        <translation>The server&apos;s answer about the wrap-up notes could not be read</translation>
    </message>
    <message>
        <source>账户激活</source>
        <translation>Account activation</translation>
    </message>
    <message>
        <source>密码重置</source>
        <translation>Password reset</translation>
    </message>
    <message>
        <source>挂失解挂</source>
        <translation>Loss-report release</translation>
    </message>
    <message>
        <source>客户信息维护</source>
        <translation>Customer information update</translation>
    </message>
    <message>
        <source>短信签约</source>
        <translation>SMS alerts sign-up</translation>
    </message>
    <message>
        <source>对公意愿核实</source>
        <translation>Corporate intent check</translation>
    </message>
    <message>
        <source>远程授权</source>
        <translation>Remote authorisation</translation>
    </message>
    <message>
        <source>客户已挂断,通话结束</source>
        <translation>The customer hung up; the call ended</translation>
    </message>
    <message>
        <source>坐席已挂断,通话结束</source>
        <translation>The teller hung up; the call ended</translation>
    </message>
    <message>
        <source>客户网络连接已断开,通话结束</source>
        <translation>The customer&apos;s connection dropped; the call ended</translation>
    </message>
    <message>
        <source>坐席网络连接已断开,通话结束,请重新取号</source>
        <translation>The teller&apos;s connection dropped; the call ended</translation>
    </message>
    <message>
        <source>您已离开排队</source>
        <translation>The customer left the queue</translation>
    </message>
    <message>
        <source>当前暂无坐席可以受理,请稍后再来</source>
        <translation>No teller could take the call</translation>
    </message>
    <message>
        <source>服务器已重启,会话已结束,请重新取号</source>
        <translation>The server restarted; the session ended</translation>
    </message>
    <message>
        <source>会话异常结束,请重新取号</source>
        <translation>The session ended abnormally</translation>
    </message>
    <message>
        <source>振铃超时未接听，已转给其他坐席</source>
        <translation>Not answered in time; offered to another teller</translation>
    </message>
    <message>
        <source>坐席已签出</source>
        <translation>The teller signed out</translation>
    </message>
    <message>
        <source>坐席连接中断</source>
        <translation>The teller&apos;s connection dropped</translation>
    </message>
    <message>
        <source>客户连接中断，通话已结束。</source>
        <translation>The customer&apos;s connection dropped; the call ended.</translation>
    </message>
    <message>
        <source>服务重启，本次通话已结束，请重新取号。</source>
        <translation>The server restarted; the call ended.</translation>
    </message>
    <message>
        <source>通话已结束。</source>
        <translation>The call ended.</translation>
    </message>
    <message>
        <source>专家邀请已撤回</source>
        <translation>The expert invitation was withdrawn</translation>
    </message>
    <message>
        <source>尚未签入</source>
        <translation>Not signed in</translation>
    </message>
    <message>
        <source>与服务器的连接已中断,请稍候重试</source>
        <translation>The connection to the server is down, please try again shortly</translation>
    </message>
    <message>
        <source>已拒接来电</source>
        <translation>Call declined</translation>
    </message>
    <message>
        <source>与服务器的连接中断,通话已结束</source>
        <translation>Connection to the server lost; the call ended</translation>
    </message>
    <message>
        <source>与服务器的连接中断,来电已取消</source>
        <translation>Connection to the server lost; the incoming call was cancelled</translation>
    </message>
    <message>
        <source>视频通话建立失败</source>
        <translation>The video call could not be set up</translation>
    </message>
    <message>
        <source>视频连接失败,已挂断</source>
        <translation>Video connection failed; hung up</translation>
    </message>
    <message>
        <source>通话已结束</source>
        <translation>The call ended</translation>
    </message>
    <message>
        <source>工号或密码错误</source>
        <translation>Wrong teller ID or password</translation>
    </message>
    <message>
        <source>无法连接服务器</source>
        <translation>Cannot reach the server</translation>
    </message>
    <message>
        <source>该坐席已在其他地方登录</source>
        <translation>This teller signed in elsewhere</translation>
    </message>
    <message>
        <source>请输入工号和密码</source>
        <translation>Please enter your teller ID and password</translation>
    </message>
    <message>
        <source>工号或密码格式不正确</source>
        <translation>Teller ID or password has a wrong format</translation>
    </message>
    <message>
        <source>服务器返回的登录结果无法识别</source>
        <translation>The server&apos;s sign-in answer could not be read</translation>
    </message>
    <message>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>性别</source>
        <translation>Sex</translation>
    </message>
    <message>
        <source>民族</source>
        <translation>Ethnicity</translation>
    </message>
    <message>
        <source>出生</source>
        <translation>Born</translation>
    </message>
    <message>
        <source>住址</source>
        <translation>Address</translation>
    </message>
    <message>
        <source>证件号</source>
        <translation>ID number</translation>
    </message>
    <message>
        <source>签发机关</source>
        <translation>Issued by</translation>
    </message>
    <message>
        <source>有效期</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>已核对客户身份且客户本人意愿办理</source>
        <translation>Identity checked and the customer wants this in person</translation>
    </message>
    <message>
        <source>重置方式</source>
        <translation>Reset by</translation>
    </message>
    <message>
        <source>客户在手机页面设置新密码</source>
        <translation>Customer sets a new password on the phone page</translation>
    </message>
    <message>
        <source>短信发送临时密码</source>
        <translation>Temporary password by SMS</translation>
    </message>
    <message>
        <source>重置原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>遗忘密码</source>
        <translation>Forgotten password</translation>
    </message>
    <message>
        <source>密码锁定</source>
        <translation>Password locked</translation>
    </message>
    <message>
        <source>账户用途</source>
        <translation>Account purpose</translation>
    </message>
    <message>
        <source>代发工资</source>
        <translation>Salary</translation>
    </message>
    <message>
        <source>储蓄</source>
        <translation>Savings</translation>
    </message>
    <message>
        <source>日常消费</source>
        <translation>Everyday spending</translation>
    </message>
    <message>
        <source>其他</source>
        <translation>Other</translation>
    </message>
    <message>
        <source>用途说明</source>
        <translation>Purpose details</translation>
    </message>
    <message>
        <source>不超过60字</source>
        <translation>At most 60 characters</translation>
    </message>
    <message>
        <source>解挂介质</source>
        <translation>Medium</translation>
    </message>
    <message>
        <source>银行卡</source>
        <translation>Bank card</translation>
    </message>
    <message>
        <source>存折</source>
        <translation>Passbook</translation>
    </message>
    <message>
        <source>客户确认已找回卡片/存折</source>
        <translation>Customer confirms the card/passbook was found</translation>
    </message>
    <message>
        <source>新手机号</source>
        <translation>New mobile number</translation>
    </message>
    <message>
        <source>联系地址</source>
        <translation>Contact address</translation>
    </message>
    <message>
        <source>地址含有不支持的字符或超过80字</source>
        <translation>The address has unsupported characters or is over 80 characters</translation>
    </message>
    <message>
        <source>请确认:{field}</source>
        <translation>Please confirm: {field}</translation>
    </message>
    <message>
        <source>请填写{field}</source>
        <translation>Please fill in {field}</translation>
    </message>
    <message>
        <source>请选择{field}</source>
        <translation>Please choose {field}</translation>
    </message>
    <message>
        <source>{field}的选项无效</source>
        <translation>{field}: invalid choice</translation>
    </message>
    <message>
        <source>手机号应为11位数字,以1开头</source>
        <translation>A mobile number has 11 digits and starts with 1</translation>
    </message>
    <message>
        <source>{field}格式不正确</source>
        <translation>{field}: wrong format</translation>
    </message>
    <message>
        <source>话术格式错误:应为 JSON 对象</source>
        <translation>Script format error: expected a JSON object</translation>
    </message>
    <message>
        <source>话术格式错误:缺少步骤(steps)</source>
        <translation>Script format error: no steps</translation>
    </message>
    <message>
        <source>话术格式错误:第 {step} 步缺少内容(text)</source>
        <translation>Script format error: step {step} has no text</translation>
    </message>
    <message>
        <source>业务类型不正确</source>
        <translation>Wrong business type</translation>
    </message>
    <message>
        <source>话术文件 {name} 不是有效的 JSON:{error}</source>
        <translation>Script file {name} is not valid JSON: {error}</translation>
    </message>
    <message>
        <source>没有业务 {business} 的话术</source>
        <translation>No script for business {business}</translation>
    </message>
    <message>
        <source>话后小结已保存在本机,正在提交…</source>
        <translation>Wrap-up notes saved on this PC, sending…</translation>
    </message>
    <message>
        <source>已请客户签名</source>
        <translation>Asked the customer to sign</translation>
    </message>
    <message>
        <source>提交业务办理</source>
        <translation>Business submitted</translation>
    </message>
    <message>
        <source>{message}(流水号 {reference})</source>
        <translation>{message} (reference {reference})</translation>
    </message>
    <message>
        <source>签名为空</source>
        <translation>Empty signature</translation>
    </message>
    <message>
        <source>签名笔迹过少(仅 {points} 个点)</source>
        <translation>Too few strokes (only {points} points)</translation>
    </message>
    <message>
        <source>签名笔画过短,可能不是完整姓名</source>
        <translation>Strokes too short: maybe not a full name</translation>
    </message>
    <message>
        <source>签名范围过小</source>
        <translation>Signature too small</translation>
    </message>
    <message>
        <source>受理前核验</source>
        <translation>Pre-check</translation>
    </message>
    <message>
        <source>联网核查</source>
        <translation>PBOC check</translation>
    </message>
    <message>
        <source>人脸比对</source>
        <translation>Face comparison</translation>
    </message>
    <message>
        <source>活体检测</source>
        <translation>Liveness</translation>
    </message>
    <message>
        <source>私密问题</source>
        <translation>Private questions</translation>
    </message>
    <message>
        <source>证件照 vs 现场</source>
        <translation>ID photo vs live</translation>
    </message>
    <message>
        <source>联网照 vs 现场</source>
        <translation>PBOC photo vs live</translation>
    </message>
    <message>
        <source>证件照 vs 联网照</source>
        <translation>ID photo vs PBOC photo</translation>
    </message>
    <message>
        <source>通过</source>
        <translation>passed</translation>
    </message>
    <message>
        <source>未通过</source>
        <translation>failed</translation>
    </message>
    <message>
        <source>进行中</source>
        <translation>running</translation>
    </message>
    <message>
        <source>实时人脸:画面中没有人脸</source>
        <translation>Live face: no face in the picture</translation>
    </message>
    <message>
        <source>实时人脸:画面中有 {faces} 张人脸</source>
        <translation>Live face: {faces} faces in the picture</translation>
    </message>
    <message>
        <source>实时人脸:与证件照相似度 {score:.2f},低于 {threshold:.2f}</source>
        <translation>Live face: similarity to the ID photo {score:.2f}, below {threshold:.2f}</translation>
    </message>
    <message>
        <source>实时人脸:检测中…</source>
        <translation>Live face: checking…</translation>
    </message>
    <message>
        <source>实时人脸不可用</source>
        <translation>Live face check unavailable</translation>
    </message>
    <message>
        <source>实时人脸 ⚠ 画面中没有人脸</source>
        <translation>Live face ⚠ no face in the picture</translation>
    </message>
    <message>
        <source>实时人脸 ⚠ 画面中有 {faces} 张人脸</source>
        <translation>Live face ⚠ {faces} faces in the picture</translation>
    </message>
    <message>
        <source>实时人脸:1 人(无证件照可比)</source>
        <translation>Live face: one face (no ID photo to compare)</translation>
    </message>
    <message>
        <source>实时人脸 ⚠ 相似度 {score:.2f} &lt; {threshold:.2f}</source>
        <translation>Live face ⚠ similarity {score:.2f} &lt; {threshold:.2f}</translation>
    </message>
    <message>
        <source>实时人脸 ✔ 相似度 {score:.2f}</source>
        <translation>Live face ✔ similarity {score:.2f}</translation>
    </message>
    <message>
        <source>客户排队:{business}</source>
        <translation>Customer queued: {business}</translation>
    </message>
    <message>
        <source>客户</source>
        <translation>Customer</translation>
    </message>
    <message>
        <source>来电振铃:{customer}</source>
        <translation>Ringing: {customer}</translation>
    </message>
    <message>
        <source>已接听,建立视频连接</source>
        <translation>Answered, connecting video</translation>
    </message>
    <message>
        <source>来电已取消</source>
        <translation>Incoming call cancelled</translation>
    </message>
    <message>
        <source>开始双录</source>
        <translation>Recording started</translation>
    </message>
    <message>
        <source>双录已停止</source>
        <translation>Recording stopped</translation>
    </message>
    <message>
        <source>实时人脸:恢复正常</source>
        <translation>Live face: back to normal</translation>
    </message>
    <message>
        <source>{gate}{verdict} 第{attempt}/{max_attempts}次</source>
        <translation>{gate} {verdict}, attempt {attempt}/{max_attempts}</translation>
    </message>
    <message>
        <source>{line}({detail})</source>
        <translation>{line} ({detail})</translation>
    </message>
    <message>
        <source>通话未建立</source>
        <translation>No call connected</translation>
    </message>
    <message>
        <source>{gate}未通过,不能办理业务</source>
        <translation>{gate} failed: the business cannot be done</translation>
    </message>
    <message>
        <source>身份核验尚未全部通过</source>
        <translation>Identity checks not all passed yet</translation>
    </message>
    <message>
        <source>话术:{step} 已完成</source>
        <translation>Script: {step} done</translation>
    </message>
    <message>
        <source>抓拍 {snapshot_id}({width}x{height})</source>
        <translation>Snapshot {snapshot_id} ({width}x{height})</translation>
    </message>
    <message>
        <source>抓拍 {snapshot_id} 已存证</source>
        <translation>Snapshot {snapshot_id} filed as evidence</translation>
    </message>
    <message>
        <source>抓拍 {snapshot_id} 上传失败:{error}</source>
        <translation>Snapshot {snapshot_id} upload failed: {error}</translation>
    </message>
    <message>
        <source>抓拍 {snapshot_id} 用作现场人脸</source>
        <translation>Snapshot {snapshot_id} used as the live face</translation>
    </message>
    <message>
        <source>客户已签名 第{attempt}次</source>
        <translation>Customer signed, attempt {attempt}</translation>
    </message>
    <message>
        <source>签名已确认并存证</source>
        <translation>Signature accepted and filed as evidence</translation>
    </message>
    <message>
        <source>签名已退回,请客户重签:{reason}</source>
        <translation>Signature sent back for signing again: {reason}</translation>
    </message>
    <message>
        <source>业务办理成功:{message}</source>
        <translation>Business done: {message}</translation>
    </message>
    <message>
        <source>业务办理失败:{message}</source>
        <translation>Business failed: {message}</translation>
    </message>
    <message>
        <source>话后小结不能超过 {limit} 字(当前 {length} 字),请精简后再提交</source>
        <translation>Wrap-up notes may have at most {limit} characters (now {length}): please shorten them</translation>
    </message>
    <message>
        <source>抓拍图片编码失败</source>
        <translation>The snapshot could not be encoded</translation>
    </message>
</context>
<context>
    <name>WorkstationBinder</name>
    <message>
        <source>VideoTeller 坐席工作台</source>
        <translation>VideoTeller Teller Workstation</translation>
    </message>
    <message>
        <source>往返时延 {rtt} · 丢包 {loss:.1f}%
接收 {kbps:.0f} kbps · {fps} 帧/秒</source>
        <translation>Round trip {rtt} · loss {loss:.1f}%
Receiving {kbps:.0f} kbps · {fps} fps</translation>
    </message>
    <message>
        <source>录像查询</source>
        <translation>Recordings</translation>
    </message>
    <message>
        <source>请先签入后再查询录像</source>
        <translation>Please sign in before searching recordings</translation>
    </message>
    <message>
        <source>设置已应用(本次运行)</source>
        <translation>Settings applied (this run)</translation>
    </message>
    <message>
        <source>设置保存失败</source>
        <translation>Settings could not be saved</translation>
    </message>
    <message>
        <source>设置已保存:服务器与设备在下次签入时生效,界面语言在重新启动后生效</source>
        <translation>Settings saved: server and devices apply at the next sign-in, the language after a restart</translation>
    </message>
    <message>
        <source>VideoTeller 坐席工作台 诊断信息</source>
        <translation>VideoTeller teller workstation diagnostics</translation>
    </message>
    <message>
        <source>诊断信息已复制到剪贴板</source>
        <translation>Diagnostics copied to the clipboard</translation>
    </message>
</context>
<context>
    <name>WorkstationService</name>
    <message>
        <source>客户来电</source>
        <translation>Incoming call</translation>
    </message>
    <message>
        <source>{business} · {customer} · 已等待 {seconds} 秒</source>
        <translation>{business} · {customer} · waited {seconds} s</translation>
    </message>
    <message>
        <source>客户</source>
        <translation>Customer</translation>
    </message>
    <message>
        <source>网络 RTT {rtt} · 丢包 {loss:.1f}% · {kbps:.0f} kbps · {fps} fps</source>
        <translation>Network RTT {rtt} · loss {loss:.1f}% · {kbps:.0f} kbps · {fps} fps</translation>
    </message>
    <message>
        <source>已播放测试音({device})</source>
        <translation>Test tone played ({device})</translation>
    </message>
    <message>
        <source>话后小结未被服务器接受:{error}。内容已保存在本机 {path}</source>
        <translation>The server did not accept the wrap-up notes: {error}. They are kept on this PC in {path}</translation>
    </message>
    <message>
        <source>话后小结提交失败:{error}。已保存在本机,将自动重试</source>
        <translation>Wrap-up notes not sent: {error}. Kept on this PC; retrying automatically</translation>
    </message>
    <message>
        <source>话后小结已提交(第 {revision} 版)</source>
        <translation>Wrap-up notes stored (version {revision})</translation>
    </message>
    <message>
        <source>,其中的号码已按规定脱敏</source>
        <translation>; numbers in them were masked as required</translation>
    </message>
    <message>
        <source>尚未收到客户画面,无法抓拍</source>
        <translation>No customer video yet: nothing to capture</translation>
    </message>
    <message>
        <source>正在处理上一张抓拍</source>
        <translation>Still processing the previous snapshot</translation>
    </message>
</context>
<context>
    <name>WrapUpPanel</name>
    <message>
        <source>话后整理</source>
        <translation>Wrap-up</translation>
    </message>
    <message>
        <source>话后小结</source>
        <translation>Wrap-up notes</translation>
    </message>
    <message>
        <source>客户诉求、办理结果、需跟进事项(完成整理时提交到服务器,随会话存档)</source>
        <translation>What the customer wanted, the outcome, follow-ups (sent to the server with the session when you finish)</translation>
    </message>
    <message>
        <source>完成整理</source>
        <translation>Finish wrap-up</translation>
    </message>
    <message>
        <source>剩余 {seconds} 秒后自动示闲</source>
        <translation>Ready again automatically in {seconds} s</translation>
    </message>
    <message>
        <source>请完成话后小结后点击“完成整理”</source>
        <translation>Finish the notes, then click “Finish wrap-up”</translation>
    </message>
    <message>
        <source>{count} 份话后小结待提交(已保存在本机,自动重试)</source>
        <translation>{count} wrap-up note(s) waiting to be sent (kept on this PC, retrying)</translation>
    </message>
    <message>
        <source>{count} 份话后小结未被服务器接受(已保存在本机)</source>
        <translation>{count} wrap-up note(s) refused by the server (kept on this PC)</translation>
    </message>
</context>
<context>
    <name>_VideoStage</name>
    <message>
        <source>等待客户视频…</source>
        <translation>Waiting for the customer&apos;s video…</translation>
    </message>
    <message>
        <source>客户</source>
        <translation>Customer</translation>
    </message>
    <message>
        <source>本地摄像头未开启</source>
        <translation>Camera off</translation>
    </message>
    <message>
        <source>本人</source>
        <translation>Me</translation>
    </message>
</context>
</TS>
