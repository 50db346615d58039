"""The files of our non-Python cases (see ``cases_lang.py``), kept apart from their labels."""

from __future__ import annotations

# --- Go ------------------------------------------------------------------------------------
GO_SQLI = """package users

import (
	"database/sql"
	"fmt"
	"net/http"
)

type Handler struct{ DB *sql.DB }

func (h *Handler) Search(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("name")
	query := fmt.Sprintf("SELECT id, email FROM users WHERE name = '%s'", name)
	rows, err := h.DB.Query(query)
	if err != nil {
		http.Error(w, "query failed", http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	w.WriteHeader(http.StatusOK)
}
"""
GO_SQL_SAFE = GO_SQLI.replace(
    """	query := fmt.Sprintf("SELECT id, email FROM users WHERE name = '%s'", name)
	rows, err := h.DB.Query(query)""",
    """	rows, err := h.DB.Query("SELECT id, email FROM users WHERE name = $1", name)""",
).replace('\t"fmt"\n', "")
GO_GIN_CMD = """package tools

import (
	"net/http"
	"os/exec"

	"github.com/gin-gonic/gin"
)

func Ping(c *gin.Context) {
	host := c.Query("host")
	out, err := exec.Command("sh", "-c", "ping -c 1 "+host).CombinedOutput()
	if err != nil {
		c.String(http.StatusBadGateway, "ping failed")
		return
	}
	c.Data(http.StatusOK, "text/plain", out)
}
"""
GO_FILES = """package files

import (
	"net/http"
	"os"
	"path/filepath"
)

const root = "/srv/reports"

func Report(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	data, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Write(data)
}
"""
GO_CLIENT = """package billing

import (
	"crypto/tls"
	"net/http"
	"time"
)

func NewClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		},
	}
}
"""

# --- Java ----------------------------------------------------------------------------------
JAVA_SQLI = """package app.web;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

public class OrderServlet extends HttpServlet {
    private Connection conn;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String customer = req.getParameter("customer");
        String sql = "SELECT id, total FROM orders WHERE customer = '" + customer + "'";
        try (Statement st = conn.createStatement()) {
            ResultSet rs = st.executeQuery(sql);
            resp.setContentType("application/json");
            resp.getWriter().write(rs.next() ? "{\\"found\\":true}" : "{\\"found\\":false}");
        } catch (SQLException e) {
            resp.sendError(500);
        }
    }
}
"""
JAVA_SQL_SAFE = JAVA_SQLI.replace(
    """        String sql = "SELECT id, total FROM orders WHERE customer = '" + customer + "'";
        try (Statement st = conn.createStatement()) {
            ResultSet rs = st.executeQuery(sql);""",
    """        String sql = "SELECT id, total FROM orders WHERE customer = ?";
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setString(1, customer);
            ResultSet rs = st.executeQuery();""",
).replace("import java.sql.Statement;", "import java.sql.PreparedStatement;")
JAVA_XSS = """package app.web;

import java.io.IOException;
import javax.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

@Controller
public class GreetingController {
    @GetMapping("/greet")
    public void greet(@RequestParam("name") String name, HttpServletResponse response)
            throws IOException {
        response.setContentType("text/html");
        response.getWriter().print("<h1>Hello, " + name + "!</h1>");
    }
}
"""
JAVA_XXE = """package app.importer;

import java.io.InputStream;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

public class InvoiceImporter {
    public Document parse(InputStream upload) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        DocumentBuilder builder = factory.newDocumentBuilder();
        return builder.parse(upload);
    }
}
"""
JAVA_AUTH = """package app.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServletResponse;

public class Login {
    public static byte[] hashPassword(String password) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        return md.digest(password.getBytes(StandardCharsets.UTF_8));
    }

    public static void remember(HttpServletResponse response, String token) {
        Cookie cookie = new Cookie("remember", token);
        cookie.setMaxAge(60 * 60 * 24 * 30);
        response.addCookie(cookie);
    }
}
"""

# --- JavaScript / TypeScript ---------------------------------------------------------------
JS_SQLI = """const express = require("express");
const mysql = require("mysql2/promise");

const router = express.Router();
const pool = mysql.createPool({ host: "db", user: "app", database: "shop" });

router.get("/products", async (req, res) => {
  const sql = "SELECT id, name FROM products WHERE category = '" + req.query.category + "'";
  const [rows] = await pool.query(sql);
  res.json(rows);
});

module.exports = router;
"""
JS_SQL_SAFE = JS_SQLI.replace(
    """  const sql = "SELECT id, name FROM products WHERE category = '" + req.query.category + "'";
  const [rows] = await pool.query(sql);""",
    """  const [rows] = await pool.query("SELECT id, name FROM products WHERE category = ?", [
    req.query.category,
  ]);""",
)
TS_REDIRECT = """import Koa from "koa";
import Router from "@koa/router";

const app = new Koa();
const router = new Router();

router.get("/login/done", async (ctx) => {
  const next = ctx.query.next as string;
  ctx.redirect(next || "/");
});

app.use(router.routes());
export default app;
"""
TS_SSRF = """import express, { Request, Response } from "express";

export const preview = express.Router();

preview.get("/preview", async (req: Request, res: Response) => {
  const target = String(req.query.url);
  const upstream = await fetch(target);
  res.json({ status: upstream.status, length: (await upstream.text()).length });
});
"""
JS_FILES = """const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "avatars");

function avatar(req, res) {
  const file = path.join(ROOT, req.params.user + ".png");
  fs.readFile(file, (err, data) => {
    if (err) return res.status(404).end();
    res.type("png").send(data);
  });
}

module.exports = { avatar };
"""
JS_ESCAPED = """const express = require("express");
const escapeHtml = require("escape-html");

const app = express();

app.get("/hello", (req, res) => {
  res.send("<h1>Hello " + escapeHtml(req.query.name || "world") + "</h1>");
});

module.exports = app;
"""

# --- Rust ----------------------------------------------------------------------------------
RS_SQL = """use sqlx::PgPool;

pub async fn find_user(pool: &PgPool, name: &str) -> sqlx::Result<Option<(i64, String)>> {
    let sql = format!("SELECT id, email FROM users WHERE name = '{}'", name);
    sqlx::query_as(&sql).fetch_optional(pool).await
}
"""
RS_SQL_SAFE = """use sqlx::PgPool;

pub async fn find_user(pool: &PgPool, name: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT id, email FROM users WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
}
"""
RS_CMD = """use std::process::Command;

pub fn convert(input: &str, width: u32) -> std::io::Result<()> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("convert {} -resize {}x thumb.png", input, width))
        .status()?;
    if !status.success() {
        return Err(std::io::Error::new(std::io::ErrorKind::Other, "convert failed"));
    }
    Ok(())
}
"""
RS_TLS = """pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(std::time::Duration::from_secs(10))
        .build()
}
"""

# --- GitHub Actions workflows --------------------------------------------------------------
GHA_INJECTION = """name: triage
on:
  issues:
    types: [opened]
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - name: Echo title
        run: |
          echo "New issue: ${{ github.event.issue.title }}"
          ./scripts/label.sh "${{ github.event.issue.title }}"
"""
GHA_SAFE = """name: triage
on:
  issues:
    types: [opened]
permissions:
  issues: write
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - name: Echo title
        env:
          TITLE: ${{ github.event.issue.title }}
        run: |
          echo "New issue: $TITLE"
          ./scripts/label.sh "$TITLE"
"""
GHA_PRT = """name: preview
on:
  pull_request_target:
    types: [opened, synchronize]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm run build
"""

# --- Dockerfiles ---------------------------------------------------------------------------
DOCKER_BEFORE = """FROM python:3.12-slim
RUN useradd --create-home app
WORKDIR /home/app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
USER app
CMD ["python", "-m", "app"]
"""
DOCKER_AFTER = """FROM python:latest
WORKDIR /app
RUN curl -fsSL https://get.example-tools.io/install.sh | sh
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
ENV API_TOKEN=tok_live_8f2c1e9a7b6d5c4e3f2a1b0c
CMD ["python", "-m", "app"]
"""
DOCKER_ADD = """FROM node:20-alpine
WORKDIR /srv
ADD https://github.com/example/tool/releases/download/v1.2/tool.tar.gz /tmp/tool.tar.gz
RUN tar -xzf /tmp/tool.tar.gz -C /usr/local/bin
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
CMD ["node", "server.js"]
"""
