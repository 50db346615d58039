"""Write ``evals/realworld/planted.jsonl``: defects written into real files of the corpus repos.

Each case takes one file of a corpus repository at the mirror's HEAD (``files_before``), makes
the edit a careless contributor could make in that very function (``files_after``), and labels
the defect's lines. Labels name a unique snippet of the new text, so their line numbers are
computed. One case (nvm's ``install.sh``) is a real upstream defect: the parent of the commit
that removed it. Run after editing; the JSONL is committed.

    python evals/realworld/build_planted.py [--mirrors /work/.mirror]
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "planted.jsonl"
SCOPE = "planted defect: only the labeled defect is in scope; other findings are unlabeled"


@dataclass(frozen=True)
class Label:
    needle: str  # unique snippet of the new file: the label's first line
    category: str
    cwe: tuple[str, ...]
    severity: str
    note: str
    span: int = 0  # extra lines after the needle's line


@dataclass(frozen=True)
class Plant:
    id: str
    repo: str
    license: str
    language: str
    path: str
    edits: tuple[tuple[str, str], ...]  # (old, new) exact substrings, each occurring once
    labels: tuple[Label, ...]
    rev: str = "HEAD"  # before side; for a reversed upstream fix: the fixing commit
    after_rev: str | None = None  # set: the after side is this revision (no edits)


SQLI = ("security", ("CWE-89",), "high")
CMDI = ("security", ("CWE-78",), "high")
PATH = ("security", ("CWE-22",), "high")
XSS = ("security", ("CWE-79",), "high")
EVAL = ("security", ("CWE-95",), "high")
SECRET = ("security", ("CWE-798",), "high")


def lab(needle: str, kind: tuple[str, tuple[str, ...], str], note: str, span: int = 0) -> Label:
    return Label(needle, kind[0], kind[1], kind[2], note, span)


PLANTS: tuple[Plant, ...] = (
    Plant(
        "planted-py-flask-sqli",
        "pallets/flask",
        "BSD-3-Clause",
        "python",
        "examples/tutorial/flaskr/blog.py",
        (
            (
                '            " WHERE p.id = ?",\n            (id,),\n',
                '            f" WHERE p.id = {id}"\n',
            ),
        ),
        (lab('f" WHERE p.id = {id}"', SQLI, "post id formatted into the SQL text"),),
    ),
    Plant(
        "planted-py-flask-sqli-login",
        "pallets/flask",
        "BSD-3-Clause",
        "python",
        "examples/tutorial/flaskr/auth.py",
        (
            (
                '        user = db.execute(\n            "SELECT * FROM user WHERE username = ?",'
                " (username,)\n        ).fetchone()",
                "        user = db.execute(\n"
                "            \"SELECT * FROM user WHERE username = '%s'\" % username\n"
                "        ).fetchone()",
            ),
        ),
        (lab("WHERE username = '%s'\" % username", SQLI, "login form field in the SQL text"),),
    ),
    Plant(
        "planted-py-flask-path-traversal",
        "pallets/flask",
        "BSD-3-Clause",
        "python",
        "src/flask/helpers.py",
        (
            (
                "    return werkzeug.utils.send_from_directory(  # type: ignore[return-value]\n"
                "        directory, path, **_prepare_send_file_kwargs(**kwargs)\n"
                "    )",
                "    return send_file(  # type: ignore[return-value]\n"
                "        os.path.join(directory, path), **kwargs\n"
                "    )",
            ),
        ),
        (
            lab(
                "os.path.join(directory, path), **kwargs",
                PATH,
                "client path joined without safe_join: ../ escapes the directory",
            ),
        ),
    ),
    Plant(
        "planted-py-flask-aws-key",
        "pallets/flask",
        "BSD-3-Clause",
        "python",
        "examples/tutorial/flaskr/__init__.py",
        (
            (
                '        SECRET_KEY="dev",\n',
                '        SECRET_KEY="dev",\n'
                "        # uploads bucket\n"
                '        AWS_ACCESS_KEY_ID="AKIAQ3EGRT7VKUHW4PZN",\n'
                '        AWS_SECRET_ACCESS_KEY="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",\n',
            ),
        ),
        (lab('AWS_ACCESS_KEY_ID="AKIA', SECRET, "an AWS access key pair in source", span=1),),
    ),
    Plant(
        "planted-py-black-shell-true",
        "psf/black",
        "MIT",
        "python",
        "scripts/diff_shades_gha_helper.py",
        (
            (
                '    cmd = (\n        f"{sys.executable} -m diff_shades --no-color "\n'
                '        f"compare {baseline} {target} --quiet --check"\n    ).split(" ")\n'
                '    proc = subprocess.run(cmd, stdout=subprocess.PIPE, encoding="utf-8")',
                '    cmd = (\n        f"{sys.executable} -m diff_shades --no-color "\n'
                '        f"compare {baseline} {target} --quiet --check"\n    )\n'
                "    proc = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, "
                'encoding="utf-8")',
            ),
        ),
        (
            lab(
                "proc = subprocess.run(cmd, shell=True", CMDI, "paths from argv run through a shell"
            ),
        ),
    ),
    Plant(
        "planted-js-express-xss",
        "expressjs/express",
        "MIT",
        "javascript",
        "examples/search/index.js",
        (
            (
                "    .then((vals) => res.send(vals))",
                "    .then((vals) => vals.length\n"
                "      ? res.send(vals)\n"
                "      : res.send('<p>No results for <b>' + query + '</b></p>'))",
            ),
        ),
        (lab("res.send('<p>No results for <b>' + query", XSS, "route parameter echoed into HTML"),),
    ),
    Plant(
        "planted-js-express-path-traversal",
        "expressjs/express",
        "MIT",
        "javascript",
        "examples/downloads/index.js",
        (
            (
                "  res.download(req.params.file.join('/'), { root: FILES_DIR }, function (err) {",
                "  res.download(path.join(FILES_DIR, req.params.file.join('/')), function (err) {",
            ),
        ),
        (
            lab(
                "res.download(path.join(FILES_DIR, req.params",
                PATH,
                "no root: ../ escapes FILES_DIR",
            ),
        ),
    ),
    Plant(
        "planted-js-express-eval",
        "expressjs/express",
        "MIT",
        "javascript",
        "examples/params/index.js",
        (("  req.params[name] = parseInt(num, 10);", "  req.params[name] = eval(num);"),),
        (lab("req.params[name] = eval(num);", EVAL, "route parameter evaluated as code"),),
    ),
    Plant(
        "planted-ts-ky-eval",
        "sindresorhus/ky",
        "MIT",
        "typescript",
        "source/core/Ky.ts",
        (
            (
                "\t\t\t\tif (text === '') {\n\t\t\t\t\treturn JSON.parse(text);\n\t\t\t\t}\n\n"
                "\t\t\t\treturn this.#options.parseJson!(text, {request, response});",
                "\t\t\t\tif (text === '') {\n\t\t\t\t\treturn JSON.parse(text);\n\t\t\t\t}\n\n"
                "\t\t\t\ttry {\n"
                "\t\t\t\t\treturn await this.#options.parseJson!(text, {request, response});\n"
                "\t\t\t\t} catch {\n"
                "\t\t\t\t\t// lenient fallback for hand-written JSON (comments, trailing commas)\n"
                "\t\t\t\t\treturn eval(`(${text})`);\n"
                "\t\t\t\t}",
            ),
        ),
        (lab("return eval(`(${text})`);", EVAL, "response body evaluated as code"),),
    ),
    Plant(
        "planted-ts-ky-token",
        "sindresorhus/ky",
        "MIT",
        "typescript",
        "test/helpers/create-http-test-server.ts",
        (
            (
                "import express from 'express';\n",
                "import express from 'express';\n\n"
                "// CI token for the upstream mirror used by the retry tests\n"
                "export const githubToken = 'ghp_R7c2XkPq9LmV4tWz8NbA1sD5fG3hJ6yU0eQi';\n",
            ),
        ),
        (lab("export const githubToken = 'ghp_", SECRET, "a GitHub personal access token"),),
    ),
    Plant(
        "planted-go-cobra-ignored-error",
        "spf13/cobra",
        "Apache-2.0",
        "go",
        "doc/md_docs.go",
        (
            (
                "\tf, err := os.Create(filename)\n\tif err != nil {\n\t\treturn err\n\t}\n"
                "\tdefer f.Close()\n\n\tif _, err := io.WriteString(f, filePrepender(filename))",
                "\tf, _ := os.Create(filename)\n"
                "\tdefer f.Close()\n\n\tif _, err := io.WriteString(f, filePrepender(filename))",
            ),
        ),
        (
            Label(
                "\tf, _ := os.Create(filename)",
                "bug",
                ("CWE-252",),
                "medium",
                "os.Create error dropped: nil *File used on failure",
            ),
        ),
    ),
    Plant(
        "planted-go-cobra-command-exec",
        "spf13/cobra",
        "Apache-2.0",
        "go",
        "doc/man_docs.go",
        (
            (
                '\t"os"\n',
                '\t"os"\n\t"os/exec"\n',
            ),
            (
                "\treturn GenMan(cmd, &headerCopy, f)\n}",
                "\tif err := GenMan(cmd, &headerCopy, f); err != nil {\n\t\treturn err\n\t}\n"
                "\t// compress the page like distribution packages do\n"
                '\treturn exec.Command("sh", "-c", "gzip -9f "+filename).Run()\n}',
            ),
        ),
        (
            lab(
                'return exec.Command("sh", "-c", "gzip -9f "+filename).Run()',
                CMDI,
                "file name from the command path run through sh -c",
            ),
        ),
    ),
    Plant(
        "planted-sh-nvm-eval",
        "nvm-sh/nvm",
        "MIT",
        "shell",
        "install.sh",
        (),
        (
            lab(
                "eval command wget $ARGS",
                ("security", ("CWE-78",), "medium"),
                "argv flattened and re-parsed by eval (upstream fix b17550a)",
            ),
        ),
        rev="b17550a0b9ab691439815dfccc8b73e3a59fa103",
        after_rev="b17550a0b9ab691439815dfccc8b73e3a59fa103^",
    ),
    Plant(
        "planted-sh-nvm-unquoted-rm",
        "nvm-sh/nvm",
        "MIT",
        "shell",
        "nvm.sh",
        (
            (
                '    command mv "${TMPDIR}/"* "${VERSION_PATH}" || return 1\n  fi\n\n'
                '  command rm -rf "${TMPDIR}"\n',
                '    command mv "${TMPDIR}/"* "${VERSION_PATH}" || return 1\n  fi\n\n'
                "  command rm -rf ${TMPDIR}\n",
            ),
        ),
        (
            Label(
                "  command rm -rf ${TMPDIR}\n\n  return 0",
                "bug",
                ("CWE-78",),
                "medium",
                "unquoted rm -rf: a TMPDIR with spaces or globs deletes other paths",
            ),
        ),
    ),
    Plant(
        "planted-gha-black-injection",
        "psf/black",
        "MIT",
        "yaml",
        ".github/workflows/changelog.yml",
        (
            (
                "          exit 1)",
                "          exit 1)\n\n"
                "      - name: Summarise\n"
                "        run: |\n"
                '          echo "Checked changelog for: ${{ github.event.pull_request.title }}"'
                ' >> "$GITHUB_STEP_SUMMARY"',
            ),
        ),
        (
            lab(
                "${{ github.event.pull_request.title }}",
                ("security", ("CWE-78",), "high"),
                "PR title expanded into the shell script (script injection)",
            ),
        ),
    ),
    Plant(
        "planted-docker-black-curl-sh",
        "psf/black",
        "MIT",
        "dockerfile",
        "Dockerfile",
        (
            (
                "RUN python -m venv $VIRTUAL_ENV\n",
                "RUN python -m venv $VIRTUAL_ENV\n"
                "RUN curl -LsSf https://astral.sh/uv/install.sh | sh\n",
            ),
        ),
        (
            lab(
                "RUN curl -LsSf https://astral.sh/uv/install.sh | sh",
                ("security", ("CWE-494",), "medium"),
                "unverified remote script piped to sh",
            ),
        ),
    ),
    Plant(
        "planted-docker-black-latest",
        "psf/black",
        "MIT",
        "dockerfile",
        "Dockerfile",
        (("FROM python:3.14-slim AS builder\n", "FROM python:latest AS builder\n"),),
        (
            lab(
                "FROM python:latest AS builder",
                ("security", ("CWE-1104",), "low"),
                "unpinned base image tag",
            ),
        ),
    ),
    Plant(
        "planted-rust-ripgrep-sh-c",
        "BurntSushi/ripgrep",
        "Unlicense OR MIT",
        "rust",
        "crates/cli/src/decompress.rs",
        (
            (
                "            let mut cmd = Command::new(&decomp_cmd.bin);\n"
                "            cmd.args(&decomp_cmd.args);\n",
                "            let args: Vec<String> = decomp_cmd\n"
                "                .args\n"
                "                .iter()\n"
                "                .map(|a| a.to_string_lossy().into_owned())\n"
                "                .collect();\n"
                "            let line = format!(\n"
                '                "{} {} {}",\n'
                "                decomp_cmd.bin.display(),\n"
                '                args.join(" "),\n'
                "                path.as_ref().display()\n"
                "            );\n"
                '            let mut cmd = Command::new("sh");\n'
                '            cmd.arg("-c").arg(line);\n',
            ),
        ),
        (
            lab(
                'cmd.arg("-c").arg(line);',
                CMDI,
                "searched file name interpolated into a sh -c command line",
            ),
        ),
    ),
    Plant(
        "planted-java-gson-forname",
        "google/gson",
        "Apache-2.0",
        "java",
        "extras/src/main/java/com/google/gson/typeadapters/RuntimeTypeAdapterFactory.java",
        (
            (
                "        TypeAdapter<R> delegate = (TypeAdapter<R>) labelToDelegate.get(label);\n"
                "        if (delegate == null) {\n",
                "        TypeAdapter<R> delegate = (TypeAdapter<R>) labelToDelegate.get(label);\n"
                "        if (delegate == null) {\n"
                "          try {\n"
                "            // unregistered label: fall back to the class it names\n"
                "            Class<?> subtype = Class.forName(label);\n"
                '            @SuppressWarnings("unchecked")\n'
                "            TypeAdapter<R> byName =\n"
                "                (TypeAdapter<R>) gson.getDelegateAdapter(\n"
                "                    RuntimeTypeAdapterFactory.this, TypeToken.get(subtype));\n"
                "            return byName.fromJsonTree(jsonElement);\n"
                "          } catch (ClassNotFoundException ignored) {\n"
                "            // reported below\n"
                "          }\n",
            ),
        ),
        (
            lab(
                "Class<?> subtype = Class.forName(label);",
                ("security", ("CWE-470",), "high"),
                "type name from the JSON document instantiates any class (unsafe reflection)",
            ),
        ),
    ),
)


def blob(mirror: Path, rev: str, path: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={mirror}", "show", f"{rev}:{path}"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")


def line_of(text: str, needle: str) -> int:
    hits = [i for i in range(len(text)) if text.startswith(needle, i)]
    if len(hits) != 1:
        raise SystemExit(f"label snippet {needle!r} occurs {len(hits)} times; make it unique")
    return text.count("\n", 0, hits[0]) + 1


def build(plant: Plant, mirrors: Path) -> dict[str, Any]:
    mirror = mirrors / (plant.repo.replace("/", "+") + "/repo")
    before = blob(mirror, plant.rev, plant.path)
    commit = subprocess.run(
        ["git", f"--git-dir={mirror}", "rev-parse", plant.rev],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    if plant.after_rev is not None:
        after = blob(mirror, plant.after_rev, plant.path)
    else:
        after = before
        for old, new in plant.edits:
            if after.count(old) != 1:
                raise SystemExit(
                    f"{plant.id}: edit anchor occurs {after.count(old)} times: {old!r}"
                )
            after = after.replace(old, new)
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{plant.path}",
            f"b/{plant.path}",
        )
    )
    labels = []
    for n, label in enumerate(plant.labels):
        start = line_of(after, label.needle)
        labels.append(
            {
                "path": plant.path,
                "line_start": start,
                "line_end": start + label.span,
                "category": label.category,
                "cwe": list(label.cwe),
                "severity": label.severity,
                "note": label.note,
                "bug_id": f"{plant.id}#{n}",
            }
        )
    return {
        "id": plant.id,
        "language": plant.language,
        "source": {"dataset": "realworld-planted", "repo": plant.repo, "commit": commit},
        "license": plant.license,
        "label_origin": "planted by hand into the real file (realworld corpus engineer)",
        "label_scope": SCOPE,
        "is_clean": False,
        "expected_findings": labels,
        "change": {
            "kind": "modify",
            "diff": diff,
            "files_before": {plant.path: before},
            "files_after": {plant.path: after},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    records = [build(p, args.mirrors) for p in PLANTS]
    with OUT.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(records)} planted cases -> {OUT}")


if __name__ == "__main__":
    main()
