// 客户签名 on the customer page: when the teller asks for a signature, a sheet with a canvas opens; pointer events
// record strokes (x, y, ms since the first point, pressure where the device reports it); 确认签名 posts them. The
// teller accepts or sends it back with a reason (the sheet opens again with the reason). Self-contained: reads the
// ticket from sessionStorage (app.js keeps it there) and polls the signature status while the call is connected.
// Its styles are in style.css (the page's Content-Security-Policy allows no inline <style>).
// State for tests: window.vtSignature = {state, attempt, reason, strokes, posted}.
"use strict";

(function () {
  const STORAGE_KEY = "videoteller.session";
  const POLL_MS = 1000;
  const MAX_POINTS = 1500;

  const sig = { state: "none", attempt: 0, reason: null, strokes: [], posted: 0, open: false };
  window.vtSignature = sig;


  const sheet = document.createElement("div");
  sheet.className = "sig-sheet";
  sheet.id = "signature-sheet";
  sheet.hidden = true;
  sheet.innerHTML = `
    <div class="sig-panel" role="dialog" aria-labelledby="sig-title">
      <h3 id="sig-title">请在下方签署您的姓名</h3>
      <p id="sig-hint">签名将作为本次业务的办理凭证,请工整签写全名。</p>
      <p id="sig-reason" class="sig-reason" hidden></p>
      <canvas id="signature-canvas" class="sig-canvas" width="600" height="240"></canvas>
      <p id="sig-error" class="sig-reason" hidden></p>
      <div class="sig-actions">
        <button id="sig-clear" type="button">清除重写</button>
        <button id="sig-submit" class="primary" type="button">确认签名</button>
      </div>
    </div>`;
  document.body.appendChild(sheet);
  const canvas = document.getElementById("signature-canvas");
  const ctx = canvas.getContext("2d");
  const $ = (id) => document.getElementById(id);

  let t0 = null;
  let current = null;

  function clearCanvas() {
    sig.strokes = [];
    t0 = null;
    current = null;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    $("sig-error").hidden = true;
  }

  function pointOf(ev) {
    const rect = canvas.getBoundingClientRect();
    const x = ((ev.clientX - rect.left) * canvas.width) / rect.width;
    const y = ((ev.clientY - rect.top) * canvas.height) / rect.height;
    const now = performance.now();
    if (t0 === null) t0 = now;
    // pressure: pens and some touch screens report it; a mouse reports 0.5 while pressed (the spec's default)
    const p = ev.pressure > 0 ? Math.min(1, ev.pressure) : 0.5;
    return { x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10, t: Math.round(now - t0), p };
  }

  function totalPoints() {
    return sig.strokes.reduce((n, s) => n + s.points.length, 0);
  }

  function draw(a, b) {
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.5 + 4 * ((a.p + b.p) / 2);
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  canvas.addEventListener("pointerdown", (ev) => {
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    current = { points: [pointOf(ev)], pointer_type: ev.pointerType || "mouse" };
    sig.strokes.push(current);
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!current || totalPoints() >= MAX_POINTS) return;
    const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
    for (const e of events.length ? events : [ev]) {
      const pt = pointOf(e);
      draw(current.points[current.points.length - 1], pt);
      current.points.push(pt);
    }
  });
  const end = () => {
    current = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  $("sig-clear").addEventListener("click", clearCanvas);
  $("sig-submit").addEventListener("click", submit);

  function ticket() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      return saved && saved.sessionId && saved.token ? saved : null;
    } catch (e) {
      return null;
    }
  }

  function openSheet(reason) {
    if (!sig.open) clearCanvas();
    sig.open = true;
    sheet.hidden = false;
    $("sig-reason").hidden = !reason;
    $("sig-reason").textContent = reason ? "坐席退回了您的签名:" + reason + ",请重新签名。" : "";
  }

  function closeSheet() {
    sig.open = false;
    sheet.hidden = true;
  }

  function toast(text) {
    const el = document.createElement("div");
    el.className = "sig-toast";
    el.textContent = text;
    document.body.appendChild(el);
    setTimeout(() => el.remove(), 4000);
  }

  async function submit() {
    const t = ticket();
    if (!t) return;
    if (!sig.strokes.length) {
      $("sig-error").textContent = "请先在签名区域签名";
      $("sig-error").hidden = false;
      return;
    }
    $("sig-submit").disabled = true;
    try {
      const response = await fetch("/api/customer/sessions/" + encodeURIComponent(t.sessionId) + "/signature", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + t.token },
        body: JSON.stringify({ width: canvas.width, height: canvas.height, strokes: sig.strokes }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        $("sig-error").textContent = (body && (body.message || body.detail)) || "签名提交失败,请重试";
        if (typeof $("sig-error").textContent !== "string") $("sig-error").textContent = "签名提交失败,请重试";
        $("sig-error").hidden = false;
        return;
      }
      sig.posted += 1;
      sig.state = body.state;
      closeSheet();
      toast("签名已提交,请等待坐席确认");
    } catch (e) {
      $("sig-error").textContent = "网络异常,签名未提交,请重试";
      $("sig-error").hidden = false;
    } finally {
      $("sig-submit").disabled = false;
    }
  }

  async function poll() {
    const t = ticket();
    const connected = window.vt && window.vt.state === "connected";
    if (!t || !connected) {
      if (sig.open && !connected) closeSheet();
      return;
    }
    try {
      const response = await fetch("/api/customer/sessions/" + encodeURIComponent(t.sessionId) + "/signature", {
        headers: { Authorization: "Bearer " + t.token },
      });
      if (!response.ok) return;
      const status = await response.json();
      const before = sig.state;
      sig.state = status.state;
      sig.attempt = status.attempt;
      sig.reason = status.reason;
      if (status.state === "requested" && !sig.open) openSheet(null);
      else if (status.state === "rejected" && before !== "rejected") openSheet(status.reason);
      else if (status.state === "accepted" && before !== "accepted") {
        closeSheet();
        toast("您的签名已确认");
      }
    } catch (e) {
      // the next poll retries; the call's own connection reports real outages
    }
  }

  setInterval(poll, POLL_MS);
})();
