"""The throwaway Go module: import parsing and which packages can be type-checked alone."""

from __future__ import annotations

from pathlib import Path

from review_bot.tools._gomodule import FALLBACK_MODULE, imports_of, module_path, prepare_module

SOURCE = """\
// Package x does things. import "not/an/import"
package x

/* import "neither/this" */
import "fmt"
import alias "example.com/shop/api"

import (
\t"net/http" // a comment "with/quotes"
\t_ "embed"
\t. "strings"
\tyaml "gopkg.in/yaml.v3"
)

var s = `import "in/a/string"`

func F() { fmt.Println(http.StatusOK, alias.E, yaml.Marshal, ToUpper) }
"""


def test_imports_are_read_from_the_declarations_only() -> None:
    assert imports_of(SOURCE) == {
        "fmt",
        "example.com/shop/api",
        "net/http",
        "embed",
        "strings",
        "gopkg.in/yaml.v3",
    }


def test_module_path_comes_from_the_module_line_only() -> None:
    assert module_path('// c\nmodule "example.com/shop" // x\n\ngo 1.22\n') == "example.com/shop"
    assert module_path("module example.com/shop/v2\nrequire x v1\n") == "example.com/shop/v2"
    assert module_path(None) == FALLBACK_MODULE
    assert module_path("go 1.22\n") == FALLBACK_MODULE


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_only_packages_whose_imports_are_in_the_copy_are_checked(tmp_path: Path) -> None:
    work, private = tmp_path / "work", tmp_path / "private"
    _write(
        work,
        {
            "go.mod": "module example.com/shop\n\ngo 1.99\ntoolchain go1.99.0\n",
            "api/api.go": 'package api\n\nimport "errors"\n\nvar E = errors.New("x")\n',
            "web/web.go": 'package web\n\nimport "example.com/shop/api"\n\nvar _ = api.E\n',
            "db/db.go": 'package db\n\nimport "github.com/lib/pq"\n\nvar _ = pq.Driver{}\n',
            "svc/svc.go": 'package svc\n\nimport "example.com/shop/db"\n\nvar _ = db.X\n',
            "staticcheck.conf": 'checks = ["-all"]\n',
        },
    )
    batch = ["web/web.go", "db/db.go", "svc/svc.go"]
    module = prepare_module(work, private, batch, "1.19.8")
    assert module.packages == ("web",)
    assert set(module.unchecked) == {"db", "svc"}
    assert "github.com/lib/pq" in module.unchecked["db"]
    assert "'db'" in module.unchecked["svc"]
    go_mod = (module.root / "go.mod").read_text()
    assert go_mod == "module example.com/shop\n\ngo 1.19\n"  # ours: no toolchain line
    assert sorted(p.name for p in module.root.rglob("*") if p.is_file()) == [
        "api.go",
        "db.go",
        "go.mod",
        "svc.go",
        "web.go",
    ]
