// The live review page: follows /v1/reviews/{id}/events (SSE over fetch, so the token goes in
// a header, never in a URL) and shows files, progress, findings, cost and the final review.
// Everything from the server is set with textContent: nothing it says is parsed as HTML.
"use strict";

const reviewId = decodeURIComponent(location.pathname.split("/").pop());
const api = "/v1/reviews/" + encodeURIComponent(reviewId);
const $ = (id) => document.getElementById(id);
let lastEventId = "";
let finished = false;
const tools = new Map();
const agents = new Map();
const seenFindings = new Set();

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("review-bot-token", fromHash);
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
  }
  return sessionStorage.getItem("review-bot-token");
}

function headers() {
  return { Authorization: "Bearer " + token() };
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = !text;
}

async function loadChange() {
  const res = await fetch(api + "/change", { headers: headers() });
  if (!res.ok) throw new Error((await res.json()).message || res.statusText);
  const change = await res.json();
  const root = $("files");
  root.replaceChildren();
  for (const file of change.files) {
    const details = el("details");
    details.append(el("summary", file.path + " (" + file.status + ", " + file.hunks.length + " hunk(s))"));
    for (const hunk of file.hunks) details.append(el("pre", hunk.text));
    root.append(details);
  }
  for (const skip of change.skipped) root.append(el("p", skip.path + ": skipped, " + skip.reason, { class: "hint" }));
}

function setStatus(text) { $("status").textContent = text; }

function progress(list, map, key, text) {
  let item = map.get(key);
  if (!item) { item = el("li"); map.set(key, item); list.append(item); }
  item.textContent = text;
}

function addFinding(f) {
  const key = f.fingerprint || [f.path, f.line, f.rule_id, f.message].join("\u001f");
  if (seenFindings.has(key)) return;
  seenFindings.add(key);
  const item = el("li", null, { tabindex: "0", "data-severity": f.severity, class: "finding" });
  item.append(el("span", f.severity, { class: "sev" }));
  item.append(el("code", f.path + ":" + f.line));
  item.append(document.createTextNode(" " + f.message + " "));
  item.append(el("span", "[" + (f.rule_id || f.category) + "; " + (f.sources || []).join(", ") + "]", { class: "hint" }));
  $("findings").append(item);
  $("finding-count").textContent = "(" + seenFindings.size + ")";
}

function finish(data) {
  finished = true;
  const review = data.review || {};
  setStatus(data.status === "done" ? "done" : "failed");
  $("final").hidden = false;
  $("summary").textContent = review.summary || data.error || "";
  $("findings").replaceChildren();
  seenFindings.clear();
  for (const f of review.findings || []) addFinding(f);
  $("finding-count").textContent = "(" + seenFindings.size + ")";
  $("transcript").disabled = !review.transcript;
}

const handlers = {
  "review.queued": () => setStatus("queued"),
  "review.running": () => setStatus("running"),
  "review.started": (d) => setStatus("running: " + d.files.length + " file(s)"),
  "tool.started": (d) => progress($("tools"), tools, d.tool, d.tool + ": running on " + d.files + " file(s)"),
  "tool.finished": (d) => progress($("tools"), tools, d.tool, d.tool + ": " + d.status + ", " + d.findings + " finding(s)"),
  "agents.planned": (d) => progress($("agents"), agents, "plan", d.chunks + " chunk(s) planned"),
  "agent.started": (d) => progress($("agents"), agents, d.agent + d.chunk, d.agent + " on chunk " + d.chunk + ": working"),
  "agent.finished": (d) => progress($("agents"), agents, d.agent + d.chunk, d.agent + " on chunk " + d.chunk + ": " + d.status),
  "model.usage": (d) => { $("cost").textContent = "$" + Number(d.cost_usd_total || 0).toFixed(4); },
  "findings": (d) => { for (const f of d.findings || []) addFinding(f); },
  "review.finished": finish,
  "review.failed": (d) => finish({ status: "failed", error: d.error }),
};

function dispatch(block) {
  let id = "", kind = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const [field, ...rest] = line.split(":");
    const value = rest.join(":").replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") kind = value;
    else if (field === "data") data += value;
  }
  if (!data) return;
  if (id) lastEventId = id;
  const event = JSON.parse(data);
  const handler = handlers[kind];
  if (handler) handler(event.data || {});
}

async function follow() {
  while (!finished) {
    const h = headers();
    if (lastEventId) h["Last-Event-ID"] = lastEventId;
    try {
      const res = await fetch(api + "/events", { headers: h });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        showError(body.message || ("HTTP " + res.status));
        if (res.status === 401 || res.status === 404) { askToken(); return; }
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      $("connection").textContent = "live";
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      showError("connection lost: " + err.message + "; reconnecting");
    }
    $("connection").textContent = finished ? "" : "reconnecting";
    if (!finished) await new Promise((r) => setTimeout(r, 1000));
  }
  $("connection").textContent = "";
}

async function downloadTranscript() {
  const res = await fetch(api + "/transcript", { headers: headers() });
  if (!res.ok) { showError((await res.json()).message || res.statusText); return; }
  const link = $("transcript-link");
  link.href = URL.createObjectURL(await res.blob());
  link.download = reviewId + ".jsonl";
  link.hidden = false;
  link.click();
}

function moveFocus(step) {
  const items = Array.from(document.querySelectorAll("#findings li"));
  if (!items.length) return;
  const at = items.indexOf(document.activeElement);
  const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
  items[next].focus();
}

function askToken() {
  const form = $("login");
  form.hidden = false;
  $("token").focus();
}

async function start() {
  $("review-id").textContent = reviewId;
  $("transcript").addEventListener("click", downloadTranscript);
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement) return;
    if (e.key === "j") moveFocus(1);
    if (e.key === "k") moveFocus(-1);
  });
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("review-bot-token", $("token").value.trim());
    $("login").hidden = true;
    showError("");
    run();
  });
  if (!token()) { askToken(); return; }
  run();
}

async function run() {
  try { await loadChange(); } catch (err) { showError(err.message); askToken(); return; }
  follow();
}

start();
