// 远程视频银行 customer page: identity pre-check (ID card photos), take a ticket, wait in the queue, answer the
// teller's WebRTC offer, and answer the server's identity-gate requests (camera frames, liveness prompts).
// No build step and nothing loaded from the internet. State for tests: window.vt = {state, pc, sessionId, ...}.
"use strict";

(function () {
  const STORAGE_KEY = "videoteller.session";
  const ICE_GATHER_TIMEOUT_MS = 5000;

  const vt = {
    state: "choose", // choose | queued | connected | ended
    states: ["choose"], // every state entered, in order (a test polling now and then still sees a brief "queued")
    pc: null,
    sessionId: null,
    ws: null,
    localStream: null,
    seatName: null,
    position: null,
    lastEnd: null,
    messages: [], // every server message received, for debugging and tests
    banners: [], // every banner text shown, in order
    precheckId: null, // a pre-check to retry or to take the ticket with
    precheck: null, // the last pre-check answer
    gates: [], // gate_update messages received (customer view)
    capturesSent: 0,
    liveness: null, // {challengeId, expiresAt, frames}
    livenessFramesSent: 0,
  };
  window.vt = vt;

  const $ = (id) => document.getElementById(id);
  let token = null;
  let businessLabel = "";
  let reconnectAttempts = 0;
  let reconnectTimer = null;
  let pendingRemoteIce = [];
  let answerSent = false;
  let mediaPromise = null;

  // --- view helpers ----------------------------------------------------------------------------------------------

  function show(view) {
    for (const id of ["view-choose", "view-precheck", "view-queue", "view-call", "view-ended"]) {
      $(id).hidden = id !== "view-" + view;
    }
  }

  function banner(text, kind) {
    const el = $("banner");
    if (!text) {
      el.hidden = true;
      el.textContent = "";
      return;
    }
    el.textContent = text;
    vt.banners.push(text);
    el.className = "banner" + (kind ? " " + kind : "");
    el.hidden = false;
  }

  function setState(state) {
    vt.state = state;
    vt.states.push(state);
    document.body.dataset.state = state;
  }

  // --- session storage (a reload reconnects with the same ticket) ------------------------------------------------

  function saveSession() {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ sessionId: vt.sessionId, token, businessLabel }));
  }

  function clearSession() {
    sessionStorage.removeItem(STORAGE_KEY);
  }

  function loadSession() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && saved.sessionId && saved.token) return saved;
    } catch (e) {
      clearSession();
    }
    return null;
  }

  // --- business types and ticket ---------------------------------------------------------------------------------

  async function loadBusinessTypes() {
    const list = $("business-list");
    try {
      const res = await fetch("/api/business-types", { cache: "no-store" });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const types = await res.json();
      list.textContent = "";
      types.forEach((t, i) => {
        const wrap = document.createElement("div");
        wrap.className = "business-option";
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "business_type";
        input.id = "bt-" + t.code;
        input.value = t.code;
        input.dataset.label = t.label;
        if (i === 0) input.checked = true;
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = t.label;
        wrap.append(input, label);
        list.append(wrap);
      });
      $("submit-precheck").disabled = types.length === 0;
      list.addEventListener("change", updateAccountField);
      updateAccountField();
    } catch (e) {
      list.textContent = "";
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "业务列表加载失败,请检查网络后刷新页面";
      list.append(p);
      banner("网络异常,业务列表加载失败,请稍后刷新重试", "error");
    }
  }

  // --- identity pre-check (受理前核验) and ticket ------------------------------------------------------------------

  const NO_ACCOUNT_BUSINESSES = ["customer_info_maintenance"];
  const MAX_UPLOAD_BYTES = 2.5 * 1024 * 1024;
  const idFiles = { front: null, back: null };

  function chosenBusiness() {
    return document.querySelector('input[name="business_type"]:checked');
  }

  function updateAccountField() {
    const chosen = chosenBusiness();
    const needsAccount = !(chosen && NO_ACCOUNT_BUSINESSES.includes(chosen.value));
    $("account-field").hidden = !needsAccount;
  }

  function onIdPhoto(side) {
    const input = $("id-" + side);
    const file = input.files && input.files[0];
    idFiles[side] = file || null;
    const preview = $("id-" + side + "-preview");
    if (preview.src) URL.revokeObjectURL(preview.src);
    if (file) {
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
      input.parentElement.classList.add("filled");
      $("id-" + side + "-text").textContent = side === "front" ? "人像面 已选择" : "国徽面 已选择";
    } else {
      preview.hidden = true;
      input.parentElement.classList.remove("filled");
    }
  }

  // Phone cameras make photos of several megabytes: send a smaller JPEG (enough for OCR) when the photo is large.
  async function shrink(file) {
    if (file.size <= MAX_UPLOAD_BYTES || !window.createImageBitmap) return file;
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1920 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", 0.9));
  }

  async function submitPrecheck(event) {
    event.preventDefault();
    const chosen = chosenBusiness();
    if (!chosen) return banner("请先选择要办理的业务", "error");
    if (!idFiles.front) return banner("请拍摄或上传身份证人像面", "error");
    if (!idFiles.back) return banner("请拍摄或上传身份证国徽面", "error");
    const phone = $("phone").value.replace(/\s+/g, "");
    if (!/^1\d{10}$/.test(phone)) return banner("请输入正确的 11 位手机号码", "error");
    const needsAccount = !NO_ACCOUNT_BUSINESSES.includes(chosen.value);
    const account = $("account-no").value.replace(/\s+/g, "");
    if (needsAccount && !/^\d{12,19}$/.test(account)) return banner("请输入正确的银行卡号或账号", "error");
    banner(null);
    const button = $("submit-precheck");
    button.disabled = true;
    businessLabel = chosen.dataset.label || "";
    showPrecheck("正在核验您的身份信息,请稍候…", "", { busy: true });
    try {
      const form = new FormData();
      form.append("business_type", chosen.value);
      form.append("phone", phone);
      form.append("account_no", needsAccount ? account : "");
      if (vt.precheckId && vt.precheck && vt.precheck.business_type === chosen.value) {
        form.append("precheck_id", vt.precheckId);
      }
      form.append("id_front", await shrink(idFiles.front), "id_front.jpg");
      form.append("id_back", await shrink(idFiles.back), "id_back.jpg");
      const res = await fetch("/api/customer/precheck", { method: "POST", body: form });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        if (res.status === 404) vt.precheckId = null;
        showPrecheck(errorText(body, "核验失败,请稍后重试"), "error", { retry: true });
        return;
      }
      vt.precheck = Object.assign({ business_type: chosen.value }, body);
      vt.precheckId = body.precheck_id;
      if (body.passed) {
        showPrecheck(body.message + (body.customer_name ? "(" + body.customer_name + ")" : ""), "ok", { ticket: true });
      } else {
        if (!body.retry_allowed) vt.precheckId = null;
        showPrecheck(body.message, "error", { retry: body.retry_allowed, back: !body.retry_allowed });
      }
    } catch (e) {
      showPrecheck("网络异常,核验提交失败,请检查网络后重试", "error", { retry: true });
    } finally {
      button.disabled = false;
    }
  }

  function errorText(body, fallback) {
    if (body && typeof body.detail === "string") return body.detail;
    return (body && body.message) || fallback;
  }

  function showPrecheck(text, kind, options) {
    const opts = options || {};
    const el = $("precheck-result");
    el.textContent = text;
    el.className = "precheck-result" + (kind ? " " + kind : "");
    $("take-ticket").hidden = !opts.ticket;
    $("precheck-retry").hidden = !opts.retry;
    $("precheck-back").hidden = !opts.back;
    setState(opts.busy ? "checking" : "prechecked");
    show("precheck");
  }

  function backToForm() {
    setState("choose");
    show("choose");
  }

  async function takeTicket() {
    const chosen = chosenBusiness();
    if (!chosen || !vt.precheckId) {
      backToForm();
      return;
    }
    const button = $("take-ticket");
    button.disabled = true;
    banner(null);
    try {
      const res = await fetch("/api/customer/tickets", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ business_type: chosen.value, precheck_id: vt.precheckId }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        vt.precheckId = null;
        showPrecheck(errorText(body, "取号失败,请重新提交核验"), "error", { back: true });
        return;
      }
      vt.precheckId = null;
      vt.sessionId = body.session_id;
      token = body.customer_token;
      saveSession();
      enterQueue();
    } catch (e) {
      banner("网络异常,取号失败,请检查网络后重试", "error");
    } finally {
      button.disabled = false;
    }
  }

  function enterQueue() {
    setState("queued");
    answerSent = false;
    $("queue-business").textContent = businessLabel ? "办理业务:" + businessLabel : "";
    $("queue-ahead").textContent = "--";
    $("queue-text").textContent = "正在连接服务器…";
    show("queue");
    connect();
    ensureMedia();
  }

  // --- camera and microphone -------------------------------------------------------------------------------------

  function ensureMedia() {
    if (vt.localStream) return Promise.resolve(vt.localStream);
    if (mediaPromise) return mediaPromise;
    $("media-status").textContent = "正在请求摄像头和麦克风权限…";
    $("retry-media").hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      mediaFailed("当前浏览器不支持视频通话,请使用系统浏览器或升级浏览器后重试");
      return Promise.resolve(null);
    }
    mediaPromise = navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: true })
      .then((stream) => {
        vt.localStream = stream;
        $("queue-preview").srcObject = stream;
        $("local-video").srcObject = stream;
        $("media-status").textContent = "摄像头和麦克风已就绪";
        return stream;
      })
      .catch((err) => {
        const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
        mediaFailed(
          denied
            ? "无法使用摄像头/麦克风,请在浏览器设置中允许访问后重试"
            : "无法打开摄像头/麦克风(" + (err && err.name ? err.name : "未知错误") + "),请检查设备后重试"
        );
        return null;
      })
      .finally(() => {
        mediaPromise = null;
      });
    return mediaPromise;
  }

  function mediaFailed(text) {
    $("media-status").textContent = text;
    $("retry-media").hidden = false;
    banner(text, "error");
  }

  // --- WebSocket ---------------------------------------------------------------------------------------------------

  function wsUrl() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + "/ws/customer/" + encodeURIComponent(vt.sessionId) +
      "?token=" + encodeURIComponent(token);
  }

  function send(message) {
    if (vt.ws && vt.ws.readyState === WebSocket.OPEN) {
      vt.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    const ws = new WebSocket(wsUrl());
    vt.ws = ws;
    ws.onopen = () => {
      reconnectAttempts = 0;
      if (vt.state === "queued") banner(null);
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      vt.messages.push(message);
      handle(message).catch((err) => {
        console.error("handling", message.type, err);
        banner("视频连接出现问题:" + (err && err.message ? err.message : err), "error");
      });
    };
    ws.onclose = (event) => {
      if (vt.ws !== ws) return;
      vt.ws = null;
      onClosed(event.code, event.reason);
    };
  }

  function onClosed(code, reason) {
    if (vt.state === "ended" || vt.state === "choose") return;
    if (code === 4401) {
      finish(reason || "排队凭证已失效,请重新取号");
      return;
    }
    if (code === 4410) {
      finish(vt.lastEnd || reason || "会话已结束");
      return;
    }
    if (code === 4409) {
      finish("您已在其他页面打开本次服务");
      return;
    }
    // Lost connection: reconnect with the same ticket; a waiting customer keeps their place.
    banner("网络连接已断开,正在重连…", "error");
    reconnectAttempts += 1;
    const delay = Math.min(1000 * reconnectAttempts, 8000);
    reconnectTimer = setTimeout(connect, delay);
  }

  async function handle(message) {
    switch (message.type) {
      case "queue_status": {
        vt.position = message.position;
        const ahead = Math.max(0, message.position - 1);
        $("queue-ahead").textContent = String(ahead);
        let text = ahead === 0 ? "即将为您接通,请稍候" : "正在排队,您前面还有 " + ahead + " 人";
        if (typeof message.estimated_wait_s === "number" && ahead > 0) {
          text += ",预计等待约 " + Math.max(1, Math.round(message.estimated_wait_s / 60)) + " 分钟";
        }
        $("queue-text").textContent = text;
        break;
      }
      case "notice":
        if (message.code === "seat_online") banner(message.message, "info");
        else banner(message.message);
        if (message.code === "transferred" || message.code === "requeued") {
          // 转接/坐席掉线: the call with this seat is over; wait in the queue again for the next seat.
          closePeer();
          setState("queued");
          show("queue");
        }
        break;
      case "call_connected":
        setState("connected");
        vt.seatName = message.seat_name;
        banner(null);
        $("call-title").textContent = "已接通 坐席 " + (message.seat_name || message.seat_id);
        $("call-status").textContent = "正在建立视频连接…";
        show("call");
        ensureMedia();
        break;
      case "sdp":
        if (message.sdp_type === "offer") await answerOffer(message.sdp);
        else if (vt.pc) await vt.pc.setRemoteDescription({ type: message.sdp_type, sdp: message.sdp });
        break;
      case "ice":
        await addRemoteIce(message);
        break;
      case "call_ended":
        vt.lastEnd = message.message;
        finish(message.message);
        break;
      case "gate_update":
        onGateUpdate(message);
        break;
      case "capture_request":
        await answerCapture(message);
        break;
      case "liveness_challenge":
        startLiveness(message);
        break;
      case "liveness_prompt":
        if (vt.liveness && vt.liveness.challengeId === message.challenge_id) showLivenessPrompt(message.prompt);
        break;
      case "error":
        banner(message.message, "error");
        break;
      default:
        break;
    }
  }

  // --- WebRTC (the teller's seat makes the offer; this page answers) -----------------------------------------------

  async function answerOffer(sdp) {
    closePeer();
    answerSent = false;
    const pc = new RTCPeerConnection({ iceServers: [] });
    vt.pc = pc;
    pc.ontrack = (event) => {
      const video = $("remote-video");
      const stream = event.streams && event.streams[0];
      if (stream) {
        video.srcObject = stream;
      } else {
        if (!(video.srcObject instanceof MediaStream)) video.srcObject = new MediaStream();
        video.srcObject.addTrack(event.track);
      }
      video.play().catch(() => {});
    };
    let trickle = false;
    pc.onicecandidate = (event) => {
      // Candidates found before the answer is sent are inside its SDP; only if gathering outlasted the wait are
      // the later ones (and the end-of-candidates marker) trickled as ice messages.
      if (!trickle) return;
      const c = event.candidate;
      send(
        c && c.candidate
          ? { type: "ice", candidate: c.candidate, sdp_mid: c.sdpMid, sdp_mline_index: c.sdpMLineIndex }
          : { type: "ice", candidate: null }
      );
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s === "connected") $("call-status").textContent = "";
      else if (s === "failed") $("call-status").textContent = "视频连接失败,请检查网络";
      else if (s === "disconnected") $("call-status").textContent = "视频连接不稳定…";
    };
    await pc.setRemoteDescription({ type: "offer", sdp });
    // Tracks are added after the offer so they reuse the offer's transceivers (sent, not just received).
    const stream = await ensureMedia();
    if (stream && vt.pc === pc) {
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
    }
    for (const candidate of pendingRemoteIce.splice(0)) await applyIce(pc, candidate);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await iceGatheringComplete(pc, ICE_GATHER_TIMEOUT_MS); // aiortc does not trickle well: send a complete answer
    if (vt.pc !== pc) return;
    send({ type: "sdp", sdp_type: "answer", sdp: pc.localDescription.sdp });
    answerSent = true;
    trickle = pc.iceGatheringState !== "complete";
  }

  function iceGatheringComplete(pc, timeoutMs) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      }
      function check() {
        if (pc.iceGatheringState === "complete") done();
      }
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  async function addRemoteIce(message) {
    const pc = vt.pc;
    if (!pc || !pc.remoteDescription) {
      pendingRemoteIce.push(message);
      return;
    }
    await applyIce(pc, message);
  }

  async function applyIce(pc, message) {
    try {
      if (!message.candidate) {
        await pc.addIceCandidate(null);
      } else {
        await pc.addIceCandidate({
          candidate: message.candidate,
          sdpMid: message.sdp_mid,
          sdpMLineIndex: message.sdp_mline_index,
        });
      }
    } catch (err) {
      console.warn("ICE candidate refused", err);
    }
  }

  function closePeer() {
    if (vt.pc) {
      try {
        vt.pc.close();
      } catch (e) {
        /* already closed */
      }
    }
    vt.pc = null;
    pendingRemoteIce = [];
  }

  // --- identity gates during the call (the server asks, this page answers from its own camera) ---------------------

  function onGateUpdate(message) {
    vt.gates.push(message);
    if (message.gate === "liveness" && message.status !== "running") stopLiveness();
    if (!message.message) return;
    const el = $("gate-status");
    el.textContent = message.message;
    el.className = "gate-status" + (message.status === "passed" ? " ok" : message.status === "running" ? "" : " error");
    el.hidden = false;
  }

  function cameraVideo() {
    for (const id of ["local-video", "queue-preview"]) {
      const video = $(id);
      // readyState >= HAVE_CURRENT_DATA: a frame is decoded; before that drawImage gives a black picture, which
      // would cost the customer one of their three face-comparison attempts.
      if (video.srcObject && video.videoWidth > 0 && video.readyState >= 2) return video;
    }
    return null;
  }

  // One JPEG frame of this page's own camera stream (never the teller's picture).
  async function grabFrame() {
    let video = cameraVideo();
    for (let i = 0; !video && i < 30; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      video = cameraVideo();
    }
    if (!video) return null;
    const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  }

  async function postFrame(kind, ref, blob) {
    const form = new FormData();
    form.append("kind", kind);
    form.append("ref", ref);
    form.append("image", blob, "frame.jpg");
    const res = await fetch("/api/customer/sessions/" + encodeURIComponent(vt.sessionId) + "/frames", {
      method: "POST",
      headers: { Authorization: "Bearer " + token },
      body: form,
    });
    return res;
  }

  async function answerCapture(message) {
    const blob = await grabFrame();
    if (!blob) {
      banner("无法获取摄像头画面,请允许使用摄像头后重试", "error");
      return;
    }
    const res = await postFrame("capture", message.request_id, blob);
    if (res.ok) vt.capturesSent += 1;
  }

  function showLivenessPrompt(text) {
    const el = $("liveness-prompt");
    el.textContent = text;
    el.hidden = !text;
  }

  function startLiveness(message) {
    const run = { challengeId: message.challenge_id, expiresAt: Date.parse(message.expires_at), frames: 0 };
    vt.liveness = run;
    showLivenessPrompt(message.prompts[0] || "");
    livenessLoop(run).catch((err) => console.warn("liveness frames", err));
  }

  async function livenessLoop(run) {
    while (vt.liveness === run && Date.now() < run.expiresAt + 1000) {
      const started = Date.now();
      const blob = await grabFrame();
      if (!blob || vt.liveness !== run) break;
      const res = await postFrame("liveness", run.challengeId, blob);
      if (res.status === 409 || res.status === 401) break;
      run.frames += 1;
      vt.livenessFramesSent += 1;
      const wait = 120 - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (vt.liveness === run) stopLiveness();
  }

  function stopLiveness() {
    vt.liveness = null;
    showLivenessPrompt("");
  }

  // --- ending ------------------------------------------------------------------------------------------------------

  function finish(text) {
    clearTimeout(reconnectTimer);
    stopLiveness();
    setState("ended");
    clearSession();
    closePeer();
    if (vt.localStream) {
      for (const track of vt.localStream.getTracks()) track.stop();
      vt.localStream = null;
    }
    $("remote-video").srcObject = null;
    if (vt.ws) {
      const ws = vt.ws;
      vt.ws = null;
      ws.close(1000);
    }
    banner(null);
    $("ended-text").textContent = text || "服务已结束";
    show("ended");
  }

  function hangup() {
    if (!send({ type: "hangup" })) finish("您已挂断");
  }

  function leaveQueue() {
    if (!send({ type: "leave_queue" })) finish("您已离开排队");
  }

  function newTicket() {
    vt.sessionId = null;
    token = null;
    vt.lastEnd = null;
    vt.precheckId = null;
    $("gate-status").hidden = true;
    setState("choose");
    banner(null);
    show("choose");
  }

  // --- start -------------------------------------------------------------------------------------------------------

  function start() {
    $("precheck-form").addEventListener("submit", submitPrecheck);
    $("id-front").addEventListener("change", () => onIdPhoto("front"));
    $("id-back").addEventListener("change", () => onIdPhoto("back"));
    $("take-ticket").addEventListener("click", takeTicket);
    $("precheck-retry").addEventListener("click", backToForm);
    $("precheck-back").addEventListener("click", () => {
      vt.precheckId = null;
      backToForm();
    });
    $("hangup").addEventListener("click", hangup);
    $("leave-queue").addEventListener("click", leaveQueue);
    $("new-ticket").addEventListener("click", newTicket);
    $("retry-media").addEventListener("click", () => ensureMedia());
    setState("choose");
    loadBusinessTypes();
    const saved = loadSession();
    if (saved) {
      vt.sessionId = saved.sessionId;
      token = saved.token;
      businessLabel = saved.businessLabel || "";
      enterQueue();
    }
  }

  start();
})();
