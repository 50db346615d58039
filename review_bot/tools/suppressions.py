"""Neutralise suppression comments that the change itself adds.

A change must not be able to silence the tools that review it. Tools with a flag that ignores
in-code suppressions get that flag (ruff ``--disable-noqa``, bandit ``--ignore-nosec``,
semgrep ``--disable-nosem``, eslint ``--no-inline-config``, hadolint
``--disable-ignore-pragma``, zizmor ``--no-ignores``), which ignores old and new ones alike:
findings are filtered to the changed lines afterwards, so an old suppression on an unchanged
line rarely matters. ShellCheck directives, detect-secrets' allowlist pragma and staticcheck's
``//lint:ignore`` have no such flag; for them we rewrite the *added* lines of the temp copy so
the directive no longer parses, and honour directives that already existed on unchanged
lines. Line numbers never move.
"""

from __future__ import annotations

import re

from review_bot.change import FileChange

__all__ = ["neutralize_added_suppressions"]

_DIRECTIVES = (
    (re.compile(r"#(\s*)shellcheck\b", re.IGNORECASE), r"#\1review-bot-ignored-directive"),
    (re.compile(r"pragma\s*:\s*allowlist", re.IGNORECASE), "review-bot-ignored-pragma"),
    # staticcheck's //lint:ignore and //lint:file-ignore
    (re.compile(r"//(\s*)lint:(file-)?ignore\b"), r"//\1review-bot-ignored-directive"),
)


def neutralize_added_suppressions(file: FileChange) -> str | None:
    """The file's new content with suppression directives on added lines made inert."""
    text = file.new_content
    if text is None:
        return None
    added = file.added_lines
    if not added:
        return text
    lines = text.splitlines(keepends=True)
    for number in added:
        if 1 <= number <= len(lines):
            line = lines[number - 1]
            for pattern, replacement in _DIRECTIVES:
                line = pattern.sub(replacement, line)
            lines[number - 1] = line
    return "".join(lines)
