"""Which CWE a tool's rule reports, for tools whose output does not say (eslint, ruff).

bandit prints ``issue_cwe`` and our semgrep rules carry ``metadata.cwe``; eslint and ruff
name only a rule. These tables give the rules whose weakness is unambiguous their CWE, so
merging, triage and scoring line up across tools (an eslint ``no-eval`` and a semgrep
``js-eval-non-literal`` on one line are one CWE-95 finding). A rule that is not listed has no
CWE: a wrong CWE would fold findings that are not the same problem.
"""

from __future__ import annotations

from types import MappingProxyType

from review_bot.findings import Category

__all__ = ["BANDIT_TAXONOMY", "ESLINT_CWE", "RUFF_CWE", "cwe_for"]

ESLINT_CWE: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        # eslint core
        "no-eval": ("CWE-95",),
        "no-implied-eval": ("CWE-95",),
        "no-new-func": ("CWE-95",),
        "no-script-url": ("CWE-79",),
        # eslint-plugin-security
        "security/detect-eval-with-expression": ("CWE-95",),
        "security/detect-child-process": ("CWE-78",),
        "security/detect-non-literal-fs-filename": ("CWE-22",),
        "security/detect-non-literal-regexp": ("CWE-1333",),
        "security/detect-unsafe-regex": ("CWE-1333",),
        "security/detect-non-literal-require": ("CWE-829",),
        "security/detect-possible-timing-attacks": ("CWE-208",),
        "security/detect-pseudoRandomBytes": ("CWE-338",),
        "security/detect-no-csrf-before-method-override": ("CWE-352",),
        "security/detect-disable-mustache-escape": ("CWE-79",),
        "security/detect-buffer-noassert": ("CWE-125",),
        # eslint-plugin-no-unsanitized
        "no-unsanitized/method": ("CWE-79",),
        "no-unsanitized/property": ("CWE-79",),
        # @microsoft/eslint-plugin-sdl
        "@microsoft/sdl/no-inner-html": ("CWE-79",),
        "@microsoft/sdl/no-document-write": ("CWE-79",),
        "@microsoft/sdl/no-html-method": ("CWE-79",),
        "@microsoft/sdl/no-insecure-url": ("CWE-319",),
        "@microsoft/sdl/no-insecure-random": ("CWE-338",),
        "@microsoft/sdl/no-postmessage-star-origin": ("CWE-345",),
        "@microsoft/sdl/no-angular-bypass-sanitizer": ("CWE-79",),
        "@microsoft/sdl/no-angularjs-bypass-sce": ("CWE-79",),
        "@microsoft/sdl/no-winjs-html-unsafe": ("CWE-79",),
        "@microsoft/sdl/no-electron-node-integration": ("CWE-94",),
    }
)

# ruff selects bug rules only (RUFF_SELECT); these are the ones that are a known weakness.
RUFF_CWE: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "F632": ("CWE-595",),  # `is` against a literal: compares identity, not value
        "B012": ("CWE-584",),  # return/break/continue inside finally swallows the exception
        "B015": ("CWE-482",),  # a comparison whose result is thrown away (meant `=`?)
    }
)

# bandit tests whose weakness is reliability before security: (category, CWEs) we report.
BANDIT_TAXONOMY: MappingProxyType[str, tuple[Category, tuple[str, ...]]] = MappingProxyType(
    {
        "B113": ("bug", ("CWE-400", "CWE-1088")),  # request without a timeout hangs forever
        "B110": ("bug", ("CWE-703",)),  # try/except/pass swallows every error
        "B112": ("bug", ("CWE-703",)),  # try/except/continue, the same in a loop
    }
)

_TABLES = {"eslint": ESLINT_CWE, "ruff": RUFF_CWE}


def cwe_for(tool: str, rule_id: str) -> tuple[str, ...]:
    """The CWEs ``tool``'s ``rule_id`` reports, or ``()`` when it has no single weakness."""
    table = _TABLES.get(tool)
    return () if table is None else table.get(rule_id, ())
