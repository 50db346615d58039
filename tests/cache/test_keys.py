from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_bot.cache.keys import canonical_json, completion_key, tool_output_key

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "user"]), "content": st.text(max_size=20)}
    ),
    max_size=3,
)

completion_inputs = st.fixed_dictionaries(
    {
        "provider": st.text(max_size=8),
        "model": st.text(max_size=8),
        "parameters": st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
        "messages": messages,
        "tools": st.lists(
            st.dictionaries(st.text(max_size=5), json_scalars, max_size=2), max_size=2
        ),
        "output_schema": st.none() | st.dictionaries(st.text(max_size=5), json_scalars, max_size=2),
        "prompt_version": st.text(max_size=8),
    }
)
tool_inputs = st.fixed_dictionaries(
    {
        name: st.text(max_size=10)
        for name in ("tool", "tool_version", "config_hash", "path", "content_hash")
    }
)


@given(completion_inputs, completion_inputs, st.data())
def test_changing_any_completion_input_changes_the_key(
    base: dict[str, Any], other: dict[str, Any], data: st.DataObject
) -> None:
    field = data.draw(st.sampled_from(sorted(base)))
    changed = {**base, field: other[field]}
    same = canonical_json(base[field]) == canonical_json(other[field])
    assert (completion_key(**base) == completion_key(**changed)) == same


@given(tool_inputs, tool_inputs, st.data())
def test_changing_any_tool_input_changes_the_key(
    base: dict[str, str], other: dict[str, str], data: st.DataObject
) -> None:
    field = data.draw(st.sampled_from(sorted(base)))
    changed = {**base, field: other[field]}
    assert (tool_output_key(**base) == tool_output_key(**changed)) == (base[field] == other[field])


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_key_order_does_not_matter(parameters: dict[str, Any]) -> None:
    reordered = dict(reversed(list(parameters.items())))
    kwargs: dict[str, Any] = {"provider": "openai", "model": "m", "messages": []}
    assert completion_key(parameters=parameters, **kwargs) == completion_key(
        parameters=reordered, **kwargs
    )


def test_completion_and_tool_keys_never_collide_and_name_their_kind() -> None:
    assert completion_key(provider="p", model="m", parameters={}, messages=[]).startswith(
        "completion:"
    )
    assert tool_output_key(
        tool="t", tool_version="1", config_hash="c", path="a.py", content_hash="h"
    ).startswith("tool:")


def test_the_model_name_is_part_of_the_key() -> None:
    common: dict[str, Any] = {
        "provider": "openai",
        "parameters": {},
        "messages": [{"role": "user", "content": "x"}],
    }
    assert completion_key(model="gpt-4o", **common) != completion_key(model="gpt-4o-mini", **common)


def test_tool_keys_carry_the_findings_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cached findings of an older shape (no confidence) must not be served again."""
    from review_bot.cache import keys

    args = {"tool": "t", "tool_version": "1", "config_hash": "c", "path": "a", "content_hash": "h"}
    before = keys.tool_output_key(**args)
    monkeypatch.setattr(keys, "TOOL_OUTPUT_VERSION", keys.TOOL_OUTPUT_VERSION + 1)
    assert keys.tool_output_key(**args) != before
