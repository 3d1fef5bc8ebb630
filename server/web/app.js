// 远程视频银行 customer page: take a ticket, wait in the queue, answer the teller's WebRTC offer.
// No build step and nothing loaded from the internet. State for tests: window.vt = {state, pc, sessionId, ...}.
"use strict";

(function () {
  const STORAGE_KEY = "videoteller.session";
  const ICE_GATHER_TIMEOUT_MS = 5000;

  const vt = {
    state: "choose", // choose | queued | connected | ended
    pc: null,
    sessionId: null,
    ws: null,
    localStream: null,
    seatName: null,
    position: null,
    lastEnd: null,
    messages: [], // every server message received, for debugging and tests
    banners: [], // every banner text shown, in order
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
    for (const id of ["view-choose", "view-queue", "view-call", "view-ended"]) {
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
      $("take-ticket").disabled = types.length === 0;
    } catch (e) {
      list.textContent = "";
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "业务列表加载失败,请检查网络后刷新页面";
      list.append(p);
      banner("网络异常,业务列表加载失败,请稍后刷新重试", "error");
    }
  }

  async function takeTicket(event) {
    event.preventDefault();
    const chosen = document.querySelector('input[name="business_type"]:checked');
    if (!chosen) {
      banner("请先选择要办理的业务", "error");
      return;
    }
    const button = $("take-ticket");
    button.disabled = true;
    banner(null);
    try {
      const res = await fetch("/api/customer/tickets", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ business_type: chosen.value, customer_name: $("customer-name").value.trim() }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        banner(body.message || (typeof body.detail === "string" ? body.detail : "取号失败,请稍后重试"), "error");
        return;
      }
      vt.sessionId = body.session_id;
      token = body.customer_token;
      businessLabel = chosen.dataset.label || "";
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

  // --- ending ------------------------------------------------------------------------------------------------------

  function finish(text) {
    clearTimeout(reconnectTimer);
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
    setState("choose");
    banner(null);
    show("choose");
  }

  // --- start -------------------------------------------------------------------------------------------------------

  function start() {
    $("ticket-form").addEventListener("submit", takeTicket);
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
