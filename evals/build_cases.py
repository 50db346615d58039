"""Write ``evals/cases/review_bot.jsonl``: our own labeled cases, in the dev-split format.

Cases are kept here as before/after file maps so their labels are computed, not hand-counted:
each label names a unique snippet of the new file and gets that snippet's line number.
Run ``python evals/build_cases.py`` after editing; the JSONL is committed.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from cases_lang import lang_cases

OUT = Path(__file__).parent / "cases" / "review_bot.jsonl"
SOURCE = {"dataset": "review-bot", "written_for": "review-bot eval harness (issue 6)"}
SCOPE = (
    "case-scoped: every defect the author knows of on the changed lines is labeled; "
    "other findings are unlabeled"
)


def _line(text: str, needle: str) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    if len(hits) != 1:
        raise SystemExit(f"snippet {needle!r} occurs {len(hits)} times; make it unique")
    return hits[0]


def _diff(before: dict[str, str], after: dict[str, str]) -> str:
    out = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        out += difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            "/dev/null" if old is None else f"a/{path}",
            f"b/{path}",
        )
    return "".join(out)


def case(
    case_id: str,
    language: str,
    before: dict[str, str],
    after: dict[str, str],
    *,
    expected: list[dict[str, Any]] = (),  # type: ignore[assignment]
    negatives: list[dict[str, Any]] = (),  # type: ignore[assignment]
    pair_id: str | None = None,
) -> dict[str, Any]:
    """One record; labels give ``path`` + ``at`` (a unique snippet) instead of line numbers."""

    def place(label: dict[str, Any], key: str) -> dict[str, Any]:
        label = dict(label)
        line = _line(after[label["path"]], label.pop("at"))
        span = label.pop("lines", 1)
        if key == "expected":
            return {"line_start": line, "line_end": line + span - 1, "cwe": [], **label}
        return {"line": line, "cwe": [], **label}

    return {
        "id": case_id,
        "language": language,
        "source": SOURCE,
        "license": "MIT (written for review-bot)",
        "change": {
            "kind": "modify" if before else "add",
            "diff": _diff(before, after),
            "files_before": before,
            "files_after": after,
        },
        "expected_findings": [place(e, "expected") for e in expected],
        "negatives": [place(n, "negative") for n in negatives],
        "is_clean": not expected,
        "label_scope": SCOPE,
        "label_origin": "written and labeled by hand for review-bot",
        "pair_id": pair_id,
    }


# --- 1. python: command injection through a backup helper (2 files, new code) -------------
BACKUP = '''"""Nightly backups of a project directory."""

import subprocess
from pathlib import Path


def archive(src: str, dest_dir: str) -> Path:
    """Compress ``src`` into ``dest_dir`` and return the archive path."""
    dest = Path(dest_dir) / (Path(src).name + ".tar.gz")
    subprocess.run(f"tar czf {dest} {src}", shell=True, check=True)
    return dest
'''
BACKUP_CLI = """import argparse

from tools.backup import archive


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("src")
    parser.add_argument("--to", default="/var/backups")
    args = parser.parse_args()
    print(archive(args.src, args.to))
"""

# --- 2/3. python: SQL injection introduced, and its fix (a pair) --------------------------
DB_SAFE = """import sqlite3


def connect() -> sqlite3.Connection:
    return sqlite3.connect("app.db")


def find_user(conn: sqlite3.Connection, name: str) -> tuple | None:
    cur = conn.execute("SELECT id, name, email FROM users WHERE name = ?", (name,))
    return cur.fetchone()
"""
DB_UNSAFE = """import sqlite3


def connect() -> sqlite3.Connection:
    return sqlite3.connect("app.db")


def find_user(conn: sqlite3.Connection, name: str) -> tuple | None:
    query = f"SELECT id, name, email FROM users WHERE name = '{name}'"
    cur = conn.execute(query)
    return cur.fetchone()
"""
VIEWS = """from contextlib import closing

from flask import Flask, request

from app.db import connect, find_user

app = Flask(__name__)


@app.get("/users")
def user():
    with closing(connect()) as conn:
        row = find_user(conn, request.args["name"])
    return {"user": row}
"""

# --- 4. python: unsafe deserialisation of a network payload, safe YAML next to it ---------
WORKER = """import pickle
import socket

import yaml


def load_settings(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def serve(port: int) -> None:
    sock = socket.create_server(("0.0.0.0", port))
    while True:
        conn, _ = sock.accept()
        with conn:
            payload = conn.recv(65536)
            job = pickle.loads(payload)
            job.run()
"""

# --- 5. python: path traversal in a download endpoint (modify) ----------------------------
FILES_BEFORE = """from flask import Flask, request, send_from_directory

app = Flask(__name__)
UPLOADS = "/srv/uploads"


@app.get("/download")
def download():
    return send_from_directory(UPLOADS, request.args["name"])
"""
FILES_AFTER = """import os

from flask import Flask, request, send_file

app = Flask(__name__)
UPLOADS = "/srv/uploads"


@app.get("/download")
def download():
    path = os.path.join(UPLOADS, request.args["name"])
    return send_file(path)
"""

# --- 6. python: a logic bug (identity comparison with a literal) and a leaked connection --
STATUS_BEFORE = """import sqlite3


def active_users(db_path: str) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT name, status FROM users").fetchall()
    return [name for name, status in rows if status == "active"]
"""
STATUS_AFTER = """import sqlite3


def active_users(db_path: str) -> list[str]:
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT name, status FROM users").fetchall()
    return [name for name, status in rows if status is "active"]
"""

# --- 7. python: off-by-one pagination (a bug no linter sees) ------------------------------
PAGE_BEFORE = '''def page(items: list, number: int, size: int = 20) -> list:
    """Items of 1-based page ``number``."""
    start = (number - 1) * size
    return items[start:start + size]
'''
PAGE_AFTER = '''def page(items: list, number: int, size: int = 20) -> list:
    """Items of 1-based page ``number``."""
    start = number * size
    return items[start:start + size]
'''

# --- 8. javascript: command injection and reflected XSS in an express app (2 files) -------
THUMBS = """const { exec } = require("child_process");

function thumbnail(file, done) {
  exec("convert " + file + " -resize 128x128 thumb.png", done);
}

module.exports = { thumbnail };
"""
ROUTES = """const express = require("express");
const { thumbnail } = require("./thumbs");

const router = express.Router();

router.get("/thumb", (req, res) => {
  thumbnail(req.query.file, () => res.sendFile("thumb.png", { root: "." }));
});

router.get("/hello", (req, res) => {
  res.send("<h1>Hello " + req.query.name + "</h1>");
});

module.exports = router;
"""

# --- 9. javascript: clean, execFile with an argument array (a designed trap) --------------
THUMBS_SAFE = """const { execFile } = require("child_process");

function thumbnail(file, done) {
  execFile("convert", [file, "-resize", "128x128", "thumb.png"], done);
}

module.exports = { thumbnail };
"""

# --- 10. shell: unquoted variables in a deploy script -------------------------------------
DEPLOY_BEFORE = """#!/bin/sh
set -eu
BUILD_DIR="${BUILD_DIR:?}"
rm -rf "${BUILD_DIR:?}"/*
cp -r dist/. "$BUILD_DIR"
"""
DEPLOY_AFTER = """#!/bin/sh
set -eu
rm -rf $BUILD_DIR/*
cp -r dist/. $BUILD_DIR
eval "deploy_$1"
"""

# --- 11. go: file handles leaked in a loop, and a clean go change -------------------------
GO_BEFORE = """package logs

import (
	"bufio"
	"os"
)

func CountLines(paths []string) (int, error) {
	total := 0
	for _, p := range paths {
		n, err := countOne(p)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func countOne(p string) (int, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		n++
	}
	return n, s.Err()
}
"""
GO_AFTER = """package logs

import (
	"bufio"
	"os"
)

func CountLines(paths []string) (int, error) {
	total := 0
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			total++
		}
	}
	return total, nil
}
"""
GO_CLEAN = """package logs

import (
	"bufio"
	"os"
	"strings"
)

// CountMatching counts the lines of p that contain needle.
func CountMatching(p, needle string) (int, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.Contains(s.Text(), needle) {
			n++
		}
	}
	return n, s.Err()
}
"""

# --- 12. python: clean refactor with type hints and a parameterised query -----------------
REPORT = """import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Order:
    id: int
    total_cents: int


def orders_since(conn: sqlite3.Connection, day: str) -> list[Order]:
    rows = conn.execute(
        "SELECT id, total_cents FROM orders WHERE created >= ? ORDER BY id", (day,)
    ).fetchall()
    return [Order(id=r[0], total_cents=r[1]) for r in rows]


def revenue(orders: list[Order]) -> int:
    return sum(o.total_cents for o in orders)
"""

SEC = "security"
CASES = [
    case(
        "rb-py-cmdi-backup",
        "python",
        {},
        {"tools/backup.py": BACKUP, "tools/cli.py": BACKUP_CLI},
        expected=[
            {
                "path": "tools/backup.py",
                "at": "shell=True",
                "category": SEC,
                "cwe": ["CWE-78"],
                "severity": "high",
                "note": "src comes from the command line and is interpolated into a shell",
            }
        ],
    ),
    case(
        "rb-py-sqli-introduce",
        "python",
        {"app/db.py": DB_SAFE},
        {"app/db.py": DB_UNSAFE, "app/views.py": VIEWS},
        expected=[
            {
                "path": "app/db.py",
                "at": "query = f",
                "lines": 2,
                "category": SEC,
                "cwe": ["CWE-89"],
                "severity": "high",
                "bug_id": "rb-sqli-1",
                "note": "name from the query string is formatted into SQL",
            }
        ],
        pair_id="rb-sqli-1",
    ),
    case(
        "rb-py-sqli-fix",
        "python",
        {"app/db.py": DB_UNSAFE},
        {"app/db.py": DB_SAFE},
        pair_id="rb-sqli-1",
    ),
    case(
        "rb-py-pickle-socket",
        "python",
        {},
        {"worker/server.py": WORKER},
        expected=[
            {
                "path": "worker/server.py",
                "at": "pickle.loads(payload)",
                "category": SEC,
                "cwe": ["CWE-502"],
                "severity": "critical",
                "note": "bytes from any network peer are unpickled: remote code execution",
            }
        ],
        negatives=[
            {
                "path": "worker/server.py",
                "at": "yaml.safe_load",
                "category": SEC,
                "cwe": ["CWE-502"],
            }
        ],
    ),
    case(
        "rb-py-path-traversal",
        "python",
        {"app/files.py": FILES_BEFORE},
        {"app/files.py": FILES_AFTER},
        expected=[
            {
                "path": "app/files.py",
                "at": "os.path.join(UPLOADS",
                "lines": 2,
                "category": SEC,
                "cwe": ["CWE-22"],
                "severity": "high",
                "note": "send_from_directory was replaced by a join that accepts ../",
            }
        ],
    ),
    case(
        "rb-py-is-literal-and-leak",
        "python",
        {"app/users.py": STATUS_BEFORE},
        {"app/users.py": STATUS_AFTER},
        expected=[
            {
                "path": "app/users.py",
                "at": 'is "active"',
                "category": "bug",
                "severity": "high",
                "note": "identity comparison with a str literal: usually False, filters everyone",
            },
            {
                "path": "app/users.py",
                "at": "conn = sqlite3.connect",
                "category": "bug",
                "cwe": ["CWE-772"],
                "severity": "low",
                "note": "the connection is no longer closed (the with block was removed)",
            },
        ],
    ),
    case(
        "rb-py-pagination-off-by-one",
        "python",
        {"app/paging.py": PAGE_BEFORE},
        {"app/paging.py": PAGE_AFTER},
        expected=[
            {
                "path": "app/paging.py",
                "at": "start = number * size",
                "category": "bug",
                "severity": "medium",
                "note": "1-based page: page 1 now skips the first page",
            }
        ],
    ),
    case(
        "rb-js-cmdi-xss",
        "javascript",
        {},
        {"web/thumbs.js": THUMBS, "web/routes.js": ROUTES},
        expected=[
            {
                "path": "web/thumbs.js",
                "at": 'exec("convert "',
                "category": SEC,
                "cwe": ["CWE-78"],
                "severity": "high",
                "note": "req.query.file reaches a shell command (routes.js passes it through)",
            },
            {
                "path": "web/routes.js",
                "at": "res.send(",
                "category": SEC,
                "cwe": ["CWE-79"],
                "severity": "medium",
                "note": "query parameter reflected into HTML unescaped",
            },
        ],
    ),
    case(
        "rb-js-execfile-clean",
        "javascript",
        {"web/thumbs.js": THUMBS},
        {"web/thumbs.js": THUMBS_SAFE},
        negatives=[
            {
                "path": "web/thumbs.js",
                "at": 'execFile("convert"',
                "category": SEC,
                "cwe": ["CWE-78"],
            }
        ],
    ),
    case(
        "rb-sh-unquoted-eval",
        "shell",
        {"deploy.sh": DEPLOY_BEFORE},
        {"deploy.sh": DEPLOY_AFTER},
        expected=[
            {
                "path": "deploy.sh",
                "at": "rm -rf $BUILD_DIR",
                "category": "bug",
                "severity": "high",
                "note": "unset/empty BUILD_DIR turns this into rm -rf /*",
            },
            {
                "path": "deploy.sh",
                "at": 'eval "deploy_$1"',
                "category": SEC,
                "cwe": ["CWE-78"],
                "severity": "high",
                "note": "the first argument is evaluated as shell code",
            },
        ],
    ),
    case(
        "rb-go-leak-in-loop",
        "go",
        {"logs/count.go": GO_BEFORE},
        {"logs/count.go": GO_AFTER},
        expected=[
            {
                "path": "logs/count.go",
                "at": "f, err := os.Open(p)",
                "category": "bug",
                "cwe": ["CWE-772"],
                "severity": "medium",
                "note": "files opened in the loop are never closed (defer is gone)",
            }
        ],
    ),
    case("rb-go-clean-matching", "go", {}, {"logs/match.go": GO_CLEAN}),
    case("rb-py-clean-report", "python", {}, {"app/report.py": REPORT}),
]


CASES += lang_cases(case)


def main() -> None:
    """Write the JSONL file."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in CASES), "utf-8")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
