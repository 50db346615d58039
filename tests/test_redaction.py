"""Redaction: planted secrets never survive, placeholders are stable, redact is idempotent."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from review_bot.change import ChangeSet, FileChange, Hunk
from review_bot.redaction import PLACEHOLDER_RE, Redactor, placeholder_for

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GH_TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
GH_FINE = "github_pat_11ABCDEFG0123456789_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
KEY_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"

SAMPLES = {
    "aws-access-key": f'aws_access_key_id = "{AWS_KEY}"',
    "aws-secret-key": f'aws_secret_access_key = "{AWS_SECRET}"',
    "github-token": f"token: {GH_TOKEN}",
    "private-key": PRIVATE_KEY,
    "slack-token": "SLACK = 'xoxb-123456789012-abcdefABCDEF12'",
    "stripe-key": "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'",
    "google-api-key": "key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI;",
    "jwt": "t = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n'",
    "bearer-token": 'headers = {"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz012345"}',
    "url-credentials": "DB = 'postgresql://admin:s3cr3tP4ss@db.example.com/prod'",
    "env-value": "export DATABASE_PASSWORD=hunter2hunter2",
    "secret-assignment": 'password = "Xy7#kLm9!pQ2"',
    "github-token-fine": GH_FINE,
}
SECRETS = {
    "aws-access-key": AWS_KEY,
    "aws-secret-key": AWS_SECRET,
    "github-token": GH_TOKEN,
    "private-key": KEY_BODY,
    "slack-token": "xoxb-123456789012-abcdefABCDEF12",
    "stripe-key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "google-api-key": "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
    "jwt": "dozjgNryP4J3jVmNHl0w5N_XgL0n",
    "bearer-token": "abcdefghijklmnopqrstuvwxyz012345",
    "url-credentials": "s3cr3tP4ss",
    "env-value": "hunter2hunter2",
    "secret-assignment": "Xy7#kLm9!pQ2",
    "github-token-fine": GH_FINE,
}


def test_each_kind_of_secret_is_replaced_by_its_named_placeholder() -> None:
    redactor = Redactor()
    for kind, text in SAMPLES.items():
        out = redactor.redact(text)
        assert SECRETS[kind] not in out, kind
        expected_kind = kind.removesuffix("-fine")
        assert f"[REDACTED:{expected_kind}:" in out, (kind, out)


def test_the_same_secret_always_gets_the_same_placeholder() -> None:
    a = Redactor().redact(f"x = '{GH_TOKEN}'")
    b = Redactor().redact(f"y: {GH_TOKEN} and again {GH_TOKEN}")
    placeholder = placeholder_for("github-token", GH_TOKEN)
    assert placeholder in a
    assert b.count(placeholder) == 2


def test_placeholder_is_kind_and_first_8_hex_of_sha256() -> None:
    assert placeholder_for("aws-access-key", AWS_KEY) == "[REDACTED:aws-access-key:1a5d44a2]"


def test_private_key_block_keeps_the_line_count_and_diff_markers() -> None:
    diff = "\n".join("+" + line for line in PRIVATE_KEY.splitlines()) + "\n+print('after')\n"
    out = Redactor().redact(diff)
    assert KEY_BODY not in out
    assert "BEGIN RSA PRIVATE KEY" not in out
    assert len(out.splitlines()) == len(diff.splitlines())
    assert out.splitlines()[-1] == "+print('after')"
    assert all(line.startswith("+") for line in out.splitlines())


def test_ordinary_code_is_left_alone() -> None:
    code = (
        'tokenizer = "bert-base-uncased"\n'
        'author_email = "john.doe@example.com"\n'
        "MAX_TOKENS=4096\n"
        'password = os.environ["DB_PASSWORD"]\n'
        "url = 'https://example.com/path'\n"
    )
    assert Redactor().redact(code) == code


def test_literal_occurrences_of_a_detected_secret_are_replaced_everywhere() -> None:
    text = 'api_key = "Zq8vB3nL0pX2wR7t"\n# remember: Zq8vB3nL0pX2wR7t\n'
    out = Redactor().redact(text)
    assert "Zq8vB3nL0pX2wR7t" not in out


def test_redact_obj_is_deep_and_crosses_strings() -> None:
    obj = {
        "messages": [
            {"role": "user", "content": f"key = '{GH_TOKEN}'"},
            {"role": "assistant", "content": "the value " + "Zq8vB3nL0pX2wR7t" + " leaked"},
        ],
        "code": 'secret = "Zq8vB3nL0pX2wR7t"',
        "n": 3,
        "nested": ({"x": AWS_KEY},),
    }
    out = Redactor().redact_obj(obj)
    blob = repr(out)
    for secret in (GH_TOKEN, "Zq8vB3nL0pX2wR7t", AWS_KEY):
        assert secret not in blob
    assert out["n"] == 3


def test_remembering_redactor_redacts_later_texts_holding_a_known_secret() -> None:
    redactor = Redactor(remember=True)
    redactor.redact('token = "Zq8vB3nL0pX2wR7t"')
    assert redactor.redact("bare Zq8vB3nL0pX2wR7t") == (
        "bare " + placeholder_for("secret-assignment", "Zq8vB3nL0pX2wR7t")
    )


def test_extra_secrets_are_always_redacted() -> None:
    redactor = Redactor({"sk-local-abcdef123456": "api-key"})
    assert "sk-local-abcdef123456" not in redactor.redact("key sk-local-abcdef123456 used")


def test_redact_change_redacts_contents_and_hunks_and_keeps_lines() -> None:
    content = f'import os\nKEY = "{AWS_KEY}"\n{PRIVATE_KEY}\nprint(1)\n'
    hunk_text = "@@ -0,0 +1,7 @@\n" + "".join("+" + line + "\n" for line in content.splitlines())
    change = ChangeSet(
        files=(
            FileChange(
                path="a.py",
                status="added",
                new_content=content,
                hunks=(
                    Hunk(
                        old_start=0,
                        old_length=0,
                        new_start=1,
                        new_length=7,
                        added=frozenset(range(1, 8)),
                        text=hunk_text,
                    ),
                ),
            ),
        )
    )
    redacted = Redactor().redact_change(change)
    blob = redacted.model_dump_json()
    assert AWS_KEY not in blob
    assert KEY_BODY not in blob
    assert redacted.line_text("a.py", 7) == "print(1)"
    assert len(redacted.files[0].hunks[0].text.splitlines()) == len(hunk_text.splitlines())


# --- properties ---------------------------------------------------------------------------

_alnum = string.ascii_letters + string.digits
_filler = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + " \n\t.,;:()[]{}=+-_'\"#/"),
    max_size=80,
)


@st.composite
def _planted(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["aws", "gh", "pem", "assign", "url", "slack", "stripe", "jwt"]))
    if kind == "aws":
        return "AKIA" + draw(
            st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16)
        )
    if kind == "gh":
        prefix = draw(st.sampled_from(["ghp_", "gho_", "ghs_"]))
        return prefix + draw(st.text(alphabet=_alnum, min_size=36, max_size=40))
    if kind == "pem":
        body = draw(st.text(alphabet=_alnum + "+/", min_size=40, max_size=64))
        return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    if kind == "slack":
        return (
            "xoxb-"
            + draw(st.text(alphabet=string.digits, min_size=10, max_size=12))
            + "-"
            + draw(st.text(alphabet=_alnum, min_size=12, max_size=24))
        )
    if kind == "stripe":
        return "sk_live_" + draw(st.text(alphabet=_alnum, min_size=24, max_size=24))
    if kind == "jwt":
        parts = [draw(st.text(alphabet=_alnum + "_-", min_size=10, max_size=30)) for _ in "ab"]
        signature = draw(st.text(alphabet=_alnum, min_size=12, max_size=30))
        return f"eyJ{parts[0]}.eyJ{parts[1]}.{signature}"
    # a high-entropy value: distinct letters and digits in a random order
    value = "".join(draw(st.permutations(_alnum))[: draw(st.integers(10, 24))])
    value = "a1" + value  # two character classes at least
    if kind == "url":
        return f"https://user:{value}@host.example.com/x"
    return f'password = "{value}"'


def _secret_part(planted: str) -> str:
    if planted.startswith("https://"):
        return planted.split(":")[2].split("@", maxsplit=1)[0]
    if planted.startswith("password"):
        return planted.split('"')[1]
    if planted.startswith("-----"):
        return planted.splitlines()[1]
    return planted


@settings(max_examples=300, deadline=None)
@given(before=_filler, planted=st.lists(_planted(), min_size=1, max_size=3), after=_filler)
def test_every_planted_secret_is_removed(before: str, planted: list[str], after: str) -> None:
    text = before + "\n" + "\n".join(planted) + "\n" + after
    out = Redactor().redact(text)
    for item in planted:
        assert _secret_part(item) not in out
    assert len(out.split("\n")) == len(text.split("\n"))


@settings(max_examples=300, deadline=None)
@given(before=_filler, planted=st.lists(_planted(), max_size=3), after=_filler)
def test_redact_is_idempotent(before: str, planted: list[str], after: str) -> None:
    text = before + " " + " ".join(planted) + " " + after
    once = Redactor().redact(text)
    assert Redactor().redact(once) == once
    for match in PLACEHOLDER_RE.finditer(once):
        assert match.group(0).startswith("[REDACTED:")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_redact_never_fails_and_is_idempotent_on_any_text(text: str) -> None:
    once = Redactor().redact(text)
    assert Redactor().redact(once) == once


def _two_files(first: str, second: str) -> ChangeSet:
    return ChangeSet(
        files=tuple(
            FileChange(path=path, status="added", new_content=text)
            for path, text in (("a.py", first), ("b.txt", second))
        )
    )


def test_everywhere_replaces_a_secret_found_in_a_later_file_in_earlier_ones_too() -> None:
    # b.txt's assignment identifies the value; a.py only holds it bare
    change = _two_files(f"x = {SECRETS['secret-assignment']!r}\n", SAMPLES["secret-assignment"])
    plain = Redactor(remember=True).redact_change(change)
    everywhere = Redactor(remember=True).redact_change(change, everywhere=True)
    assert SECRETS["secret-assignment"] in plain.model_dump_json()
    assert SECRETS["secret-assignment"] not in everywhere.model_dump_json()


def test_a_change_redacted_again_is_served_from_memory_until_a_secret_is_learned() -> None:
    change = _two_files(SAMPLES["github-token"], "nothing secret\n")
    redactor = Redactor(remember=True)
    first = redactor.redact_change(change, everywhere=True)
    assert redactor.redact_change(change, everywhere=True) is first
    assert redactor.redact_change(change) is not first  # the plain form is its own answer
    assert redactor.redact_change(change.model_copy()) is not first  # another object
    redactor.redact(SAMPLES["stripe-key"])  # learns a new secret: the memory is stale
    again = redactor.redact_change(change, everywhere=True)
    assert again is not first
    assert again == first
