"""Our own cases beyond Python: Go, Java, JavaScript/TypeScript, Rust, GitHub Actions
workflows and Dockerfiles (issue 12). Imported by ``build_cases.py``, which places the labels.

Each case is a small, realistic change written for review-bot; labels name what a good
reviewer should find on the changed lines, whichever tool (or agent) finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases_lang_code import (
    DOCKER_ADD,
    DOCKER_AFTER,
    DOCKER_BEFORE,
    GHA_INJECTION,
    GHA_PRT,
    GHA_SAFE,
    GO_CLIENT,
    GO_FILES,
    GO_GIN_CMD,
    GO_SQL_SAFE,
    GO_SQLI,
    JAVA_AUTH,
    JAVA_SQL_SAFE,
    JAVA_SQLI,
    JAVA_XSS,
    JAVA_XXE,
    JS_ESCAPED,
    JS_FILES,
    JS_SQL_SAFE,
    JS_SQLI,
    RS_CMD,
    RS_SQL,
    RS_SQL_SAFE,
    RS_TLS,
    TS_REDIRECT,
    TS_SSRF,
)

SEC = "security"
BUG = "bug"


def lang_cases(case: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases, built with ``build_cases.case`` (labels by unique snippet)."""
    go = [
        case(
            "rb-go-sqli-sprintf",
            "go",
            {"users/search.go": GO_SQL_SAFE},
            {"users/search.go": GO_SQLI},
            expected=[
                _label(
                    "users/search.go",
                    "fmt.Sprintf(",
                    "CWE-89",
                    "high",
                    2,
                    note="a form value is formatted into the SQL text",
                )
            ],
            pair_id="rb-go-sql",
        ),
        case(
            "rb-go-sql-placeholder-clean",
            "go",
            {"users/search.go": GO_SQLI},
            {"users/search.go": GO_SQL_SAFE},
            negatives=[_negative("users/search.go", "h.DB.Query(", "CWE-89")],
            pair_id="rb-go-sql",
        ),
        case(
            "rb-go-gin-cmdi",
            "go",
            {},
            {"tools/ping.go": GO_GIN_CMD},
            expected=[
                _label(
                    "tools/ping.go",
                    'exec.Command("sh"',
                    "CWE-78",
                    "critical",
                    1,
                    note="a query parameter is run by sh -c",
                )
            ],
        ),
        case(
            "rb-go-path-traversal",
            "go",
            {},
            {"files/report.go": GO_FILES},
            expected=[
                _label(
                    "files/report.go",
                    "os.ReadFile(",
                    "CWE-22",
                    "high",
                    1,
                    note="?name=../../etc/passwd escapes the reports folder",
                )
            ],
        ),
        case(
            "rb-go-tls-skip-verify",
            "go",
            {},
            {"billing/client.go": GO_CLIENT},
            expected=[
                _label(
                    "billing/client.go",
                    "InsecureSkipVerify",
                    "CWE-295",
                    "high",
                    1,
                    note="the billing client accepts any certificate",
                )
            ],
        ),
    ]
    java = [
        case(
            "rb-java-servlet-sqli",
            "java",
            {"src/main/java/app/web/OrderServlet.java": JAVA_SQL_SAFE},
            {"src/main/java/app/web/OrderServlet.java": JAVA_SQLI},
            expected=[
                _label(
                    "src/main/java/app/web/OrderServlet.java",
                    "String sql =",
                    "CWE-89",
                    "high",
                    3,
                    note="the SQL is built from a parameter first and executed later",
                )
            ],
            pair_id="rb-java-sql",
        ),
        case(
            "rb-java-prepared-clean",
            "java",
            {"src/main/java/app/web/OrderServlet.java": JAVA_SQLI},
            {"src/main/java/app/web/OrderServlet.java": JAVA_SQL_SAFE},
            negatives=[
                _negative("src/main/java/app/web/OrderServlet.java", "st.executeQuery()", "CWE-89")
            ],
            pair_id="rb-java-sql",
        ),
        case(
            "rb-java-spring-xss",
            "java",
            {},
            {"src/main/java/app/web/GreetingController.java": JAVA_XSS},
            expected=[
                _label(
                    "src/main/java/app/web/GreetingController.java",
                    "getWriter().print",
                    "CWE-79",
                    "medium",
                    1,
                    note="a request parameter is written into HTML unencoded",
                )
            ],
        ),
        case(
            "rb-java-xxe",
            "java",
            {},
            {"src/main/java/app/importer/InvoiceImporter.java": JAVA_XXE},
            expected=[
                _label(
                    "src/main/java/app/importer/InvoiceImporter.java",
                    "DocumentBuilderFactory.newInstance()",
                    "CWE-611",
                    "high",
                    1,
                    note="uploaded XML is parsed with DOCTYPEs and external entities on",
                )
            ],
        ),
        case(
            "rb-java-md5-password-cookie",
            "java",
            {},
            {"src/main/java/app/auth/Login.java": JAVA_AUTH},
            expected=[
                _label(
                    "src/main/java/app/auth/Login.java",
                    'getInstance("MD5")',
                    "CWE-328",
                    "high",
                    1,
                    note="passwords hashed with unsalted MD5",
                ),
                _label(
                    "src/main/java/app/auth/Login.java",
                    "response.addCookie(cookie)",
                    "CWE-614",
                    "medium",
                    1,
                    note="a 30-day remember-me token cookie without Secure or HttpOnly",
                ),
            ],
        ),
    ]
    js = [
        case(
            "rb-js-express-sqli",
            "javascript",
            {"routes/products.js": JS_SQL_SAFE},
            {"routes/products.js": JS_SQLI},
            expected=[
                _label(
                    "routes/products.js",
                    "const sql =",
                    "CWE-89",
                    "high",
                    2,
                    note="a query parameter is concatenated into the SQL",
                )
            ],
            pair_id="rb-js-sql",
        ),
        case(
            "rb-js-placeholder-clean",
            "javascript",
            {"routes/products.js": JS_SQLI},
            {"routes/products.js": JS_SQL_SAFE},
            negatives=[_negative("routes/products.js", "pool.query(", "CWE-89")],
            pair_id="rb-js-sql",
        ),
        case(
            "rb-ts-koa-open-redirect",
            "typescript",
            {},
            {"src/login.ts": TS_REDIRECT},
            expected=[
                _label(
                    "src/login.ts",
                    "ctx.redirect(",
                    "CWE-601",
                    "medium",
                    1,
                    note="?next=https://evil.example sends users anywhere after login",
                )
            ],
        ),
        case(
            "rb-ts-express-ssrf",
            "typescript",
            {},
            {"src/preview.ts": TS_SSRF},
            expected=[
                _label(
                    "src/preview.ts",
                    "await fetch(target)",
                    "CWE-918",
                    "high",
                    1,
                    note="the server fetches any URL a client names (internal hosts too)",
                )
            ],
        ),
        case(
            "rb-js-path-traversal",
            "javascript",
            {},
            {"web/avatar.js": JS_FILES},
            expected=[
                _label(
                    "web/avatar.js",
                    "path.join(ROOT, req.params.user",
                    "CWE-22",
                    "high",
                    2,
                    note="the user segment may contain ../",
                )
            ],
        ),
        case(
            "rb-js-escaped-clean",
            "javascript",
            {},
            {"web/hello.js": JS_ESCAPED},
            negatives=[_negative("web/hello.js", "res.send(", "CWE-79")],
        ),
    ]
    rust = [
        case(
            "rb-rust-sqlx-format",
            "rust",
            {"src/db.rs": RS_SQL_SAFE},
            {"src/db.rs": RS_SQL},
            expected=[
                _label(
                    "src/db.rs",
                    "let sql = format!",
                    "CWE-89",
                    "high",
                    2,
                    note="the name is formatted into the SQL instead of bound",
                )
            ],
            pair_id="rb-rust-sql",
        ),
        case(
            "rb-rust-sqlx-bind-clean",
            "rust",
            {"src/db.rs": RS_SQL},
            {"src/db.rs": RS_SQL_SAFE},
            negatives=[_negative("src/db.rs", "sqlx::query_as(", "CWE-89")],
            pair_id="rb-rust-sql",
        ),
        case(
            "rb-rust-shell-format",
            "rust",
            {},
            {"src/thumbs.rs": RS_CMD},
            expected=[
                _label(
                    "src/thumbs.rs",
                    'Command::new("sh")',
                    "CWE-78",
                    "high",
                    3,
                    note="the input path is formatted into a shell command",
                )
            ],
        ),
        case(
            "rb-rust-accept-invalid-certs",
            "rust",
            {},
            {"src/http.rs": RS_TLS},
            expected=[
                _label(
                    "src/http.rs",
                    "danger_accept_invalid_certs(true)",
                    "CWE-295",
                    "high",
                    1,
                    note="certificate checks are off for every request",
                )
            ],
        ),
    ]
    ops = [
        case(
            "rb-gha-script-injection",
            "yaml",
            {".github/workflows/triage.yml": GHA_SAFE},
            {".github/workflows/triage.yml": GHA_INJECTION},
            expected=[
                _label(
                    ".github/workflows/triage.yml",
                    'echo "New issue: ${{',
                    "CWE-78",
                    "high",
                    2,
                    note="an issue title is expanded into the run script (script injection)",
                )
            ],
            pair_id="rb-gha-triage",
        ),
        case(
            "rb-gha-env-clean",
            "yaml",
            {".github/workflows/triage.yml": GHA_INJECTION},
            {".github/workflows/triage.yml": GHA_SAFE},
            negatives=[
                _negative(".github/workflows/triage.yml", 'echo "New issue: $TITLE"', "CWE-78")
            ],
            pair_id="rb-gha-triage",
        ),
        case(
            "rb-gha-pull-request-target-checkout",
            "yaml",
            {},
            {".github/workflows/preview.yml": GHA_PRT},
            expected=[
                _label(
                    ".github/workflows/preview.yml",
                    "ref: ${{ github.event.pull_request",
                    "CWE-829",
                    "critical",
                    1,
                    note="untrusted PR code is checked out and built with a write token",
                ),
                _label(
                    ".github/workflows/preview.yml",
                    "permissions: write-all",
                    "CWE-250",
                    "medium",
                    1,
                    note="every job gets a token that can write everything",
                ),
            ],
        ),
        case(
            "rb-docker-regressions",
            "dockerfile",
            {"Dockerfile": DOCKER_BEFORE},
            {"Dockerfile": DOCKER_AFTER},
            expected=[
                _label(
                    "Dockerfile",
                    "curl -fsSL",
                    "CWE-494",
                    "high",
                    1,
                    note="a script from the network is piped into sh without a checksum",
                ),
                _label(
                    "Dockerfile",
                    "ENV API_TOKEN",
                    "CWE-798",
                    "high",
                    1,
                    note="a live token baked into every image layer",
                ),
                {
                    "path": "Dockerfile",
                    "at": "FROM python:latest",
                    "category": BUG,
                    "severity": "low",
                    "note": "latest tag: builds are not reproducible",
                },
                {
                    "path": "Dockerfile",
                    "at": 'CMD ["python"',
                    "category": SEC,
                    "cwe": ["CWE-250"],
                    "severity": "medium",
                    "note": "the USER line was dropped: the app now runs as root",
                },
            ],
        ),
        case(
            "rb-docker-add-remote",
            "dockerfile",
            {},
            {"Dockerfile": DOCKER_ADD},
            expected=[
                _label(
                    "Dockerfile",
                    "ADD https://",
                    "CWE-494",
                    "medium",
                    1,
                    note="a remote archive is added without a checksum",
                )
            ],
        ),
    ]
    return go + java + js + rust + ops


def _label(path: str, at: str, cwe: str, severity: str, lines: int, *, note: str) -> dict[str, Any]:
    return {
        "path": path,
        "at": at,
        "category": SEC,
        "cwe": [cwe],
        "severity": severity,
        "lines": lines,
        "note": note,
    }


def _negative(path: str, at: str, cwe: str) -> dict[str, Any]:
    return {"path": path, "at": at, "category": SEC, "cwe": [cwe]}
