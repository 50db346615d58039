// Interactive docs from /v1/openapi.json, without a framework or a CDN (the CSP allows neither).
"use strict";
const $ = (id) => document.getElementById(id);
let ops = [];

function el(tag, text) { const n = document.createElement(tag); if (text) n.textContent = text; return n; }

async function start() {
  const doc = await (await fetch("/v1/openapi.json")).json();
  $("version").textContent = doc.info.version;
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      ops.push({ path, method, op });
      const section = el("section");
      section.append(el("h2", method.toUpperCase() + " " + path));
      section.append(el("p", op.summary));
      const list = el("ul");
      for (const [status, answer] of Object.entries(op.responses)) list.append(el("li", status + ": " + answer.description));
      section.append(list);
      $("operations").append(section);
      const option = el("option", method.toUpperCase() + " " + path);
      option.value = String(ops.length - 1);
      $("operation").append(option);
    }
  }
  $("try").addEventListener("submit", send);
}

async function send(e) {
  e.preventDefault();
  const { path, method } = ops[Number($("operation").value)];
  const url = path.replace("{review_id}", encodeURIComponent($("review-id").value));
  const init = { method: method.toUpperCase(), headers: {} };
  if ($("token").value) init.headers.Authorization = "Bearer " + $("token").value;
  if (init.method === "POST" && $("body").value.trim()) {
    init.headers["Content-Type"] = "application/json";
    init.body = $("body").value;
  }
  const res = await fetch(url, init);
  $("answer").textContent = res.status + " " + res.statusText + "\n" + (await res.text()).slice(0, 20000);
}

start();
