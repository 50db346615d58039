const { exec } = require("child_process");
const cp = require("child_process");
const https = require("https");
const jwt = require("jsonwebtoken");
const libxmljs = require("libxmljs");

function run(code, file, el, html, token, key, xml) {
  // ruleid: js-eval-non-literal
  eval(code);
  // ok: js-eval-non-literal
  eval("1 + 1");
  // ruleid: js-inner-html
  el.innerHTML = html;
  // ok: js-inner-html
  el.innerHTML = "<b>static</b>";
  // ruleid: js-child-process-exec
  cp.exec("convert " + file + " out.png");
  // ok: js-child-process-exec
  cp.execFile("convert", [file, "out.png"]);

  // ruleid: js-tls-verification-disabled
  https.request({ host: "api.internal", rejectUnauthorized: false });
  // ok: js-tls-verification-disabled
  https.request({ host: "api.internal", rejectUnauthorized: true });

  // ruleid: js-jwt-none-algorithm
  jwt.verify(token, key, { algorithms: ["none"] });
  // ok: js-jwt-none-algorithm
  jwt.verify(token, key, { algorithms: ["RS256"] });

  // ruleid: js-xxe-noent
  libxmljs.parseXml(xml, { noent: true });
  // ok: js-xxe-noent
  libxmljs.parseXml(xml, { noent: false });
}

module.exports = { run };
