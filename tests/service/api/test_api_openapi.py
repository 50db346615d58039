"""The OpenAPI document: well-formed schemas that the answers actually match, and its docs page."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator

from review_bot.service.api.openapi import openapi_document
from tests.service.api.apistack import BODY, ApiStack


def _validator(document: dict[str, Any], name: str) -> OAS31Validator:
    """A validator of one component; its refs resolve inside the document's components."""
    return OAS31Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


def test_every_component_schema_is_a_valid_oas31_schema() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    for _name, schema in document["components"]["schemas"].items():
        OAS31Validator.check_schema(schema)  # raises SchemaError naming the problem


def test_every_ref_resolves_and_every_operation_documents_its_errors() -> None:
    document = openapi_document()
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert "401" in op["responses"], (method, path)
            assert op["operationId"]


async def test_answers_match_their_documented_schemas(stack: ApiStack) -> None:
    document = (await stack.client.get("/v1/openapi.json")).json()
    assert document == openapi_document()
    accepted = await stack.client.post("/v1/reviews", json=BODY, headers=stack.auth())
    _validator(document, "ReviewAccepted").validate(accepted.json())
    await stack.finished(accepted.json()["id"])
    record = await stack.client.get(accepted.headers["location"], headers=stack.auth())
    _validator(document, "ReviewRecord").validate(record.json())
    error = await stack.client.post("/v1/reviews", json={"diff": ""}, headers=stack.auth())
    _validator(document, "ErrorBody").validate(error.json())
    with pytest.raises(Exception, match="is not of type"):
        _validator(document, "ReviewRecord").validate({**record.json(), "created_at": "yesterday"})


async def test_the_docs_page_is_served_with_its_script(stack: ApiStack) -> None:
    page = await stack.client.get("/v1/docs")
    assert page.status_code == 200
    assert '<script src="/ui/static/docs.js"' in page.text
    script = await stack.client.get("/ui/static/docs.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/v1/openapi.json" in script.text
