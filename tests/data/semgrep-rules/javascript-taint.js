const express = require("express");
const fs = require("fs");
const path = require("path");
const axios = require("axios");
const vm = require("vm");
const { exec } = require("child_process");
const escapeHtml = require("escape-html");
const expat = require("node-expat");

const app = express();

app.get("/user", async (req, res) => {
  const sql = "SELECT * FROM users WHERE name = '" + req.query.name + "'";
  // ruleid: js-tainted-sql
  const rows = await db.query(sql);
  // ok: js-tainted-sql
  const safe = await db.query("SELECT * FROM users WHERE name = ?", [req.query.name]);
  res.json({ rows, safe });
});

app.get("/ping", (req, res) => {
  // ruleid: js-tainted-command
  exec(`ping -c 1 ${req.query.host}`, (err, out) => res.json({ out }));
  // ok: js-tainted-command
  exec("uptime", (err, out) => res.json({ out }));
});

app.post("/calc", (req, res) => {
  // ruleid: js-tainted-code
  const value = vm.runInNewContext(req.body.expr, {});
  // ok: js-tainted-code
  const fixed = vm.runInNewContext("1 + 1", {});
  res.json({ value, fixed });
});

exports.handler = async (event) => {
  // ruleid: js-tainted-code
  vm.runInThisContext(`var x = ${event.body};`);
  return { statusCode: 200 };
};

app.get("/file", (req, res) => {
  const name = path.join(__dirname, "public", req.query.name);
  // ruleid: js-tainted-path
  fs.readFile(name, (err, data) => res.send(data));
});

app.get("/file-safe", (req, res) => {
  const name = path.join(__dirname, "public", path.basename(req.query.name));
  // ok: js-tainted-path
  fs.readFile(name, (err, data) => res.json({ size: data.length }));
});

app.get("/hello", (req, res) => {
  // ruleid: js-tainted-xss
  res.send("<h1>Hello " + req.query.name + "</h1>");
});

app.get("/hello-safe", (req, res) => {
  // ok: js-tainted-xss
  res.send("<h1>Hello " + escapeHtml(req.query.name) + "</h1>");
});

app.get("/proxy", async (req, res) => {
  // ruleid: js-tainted-ssrf
  const upstream = await axios.get(req.query.url);
  // ok: js-tainted-ssrf
  const fixed = await axios.get("https://api.example.com/items/" + req.query.id);
  res.json({ a: upstream.data, b: fixed.data });
});

app.get("/login", (req, res) => {
  // ruleid: js-tainted-redirect
  res.redirect(req.query.next);
});

app.get("/home", (req, res) => {
  // ok: js-tainted-redirect
  res.redirect("/dashboard");
});

app.get("/page", (req, res) => {
  // ruleid: js-tainted-template-path
  res.render("pages/" + req.params.page, { user: req.user });
  // ok: js-tainted-template-path
  res.render("pages/home", { title: req.query.title });
});

app.post("/xml", (req, res) => {
  const parser = new expat.Parser("UTF-8");
  // ruleid: js-tainted-xml-parse
  parser.write(req.body);
  // ok: js-tainted-xml-parse
  parser.write("<doc/>");
  res.end();
});
