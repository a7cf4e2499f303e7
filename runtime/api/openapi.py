"""The published OpenAPI document: FastAPI's, plus what a route's signature cannot say, so
that a client generated from it never sends what the API refuses.

- Query parameters that exclude each other (a model named by `alias` or by `version`, not
  both) become one form-exploded object parameter whose schema says so. On the wire nothing
  changes (`?alias=staging`, `?version=3`); OpenAPI has no other way to relate two
  parameters.
- Array limits that are settings (`max_batch_rows`) are written in from the app's settings:
  a body field names the setting in `x-max-items-setting`, replaced by `maxItems`.

`methods_at` reads the document back: which methods the API serves at a path (405's Allow,
and whether a multipart body would be read there at all: runtime.api.body_limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from starlette.routing import compile_path

from runtime.api.settings import ApiSettings

METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})
EXCLUSIVE_QUERIES = (("alias", "version"),)
MAX_ITEMS_SETTING = "x-max-items-setting"


def install(app: FastAPI, settings: ApiSettings) -> None:
    generate = app.openapi  # FastAPI's: builds the document once, into app.openapi_schema

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for operation in _operations(document):
                for names in EXCLUSIVE_QUERIES:
                    _exclusive(operation, names)
            for node in _nodes(document.get("components", {})):
                setting = node.pop(MAX_ITEMS_SETTING, None)
                if setting is not None:
                    node["maxItems"] = getattr(settings, setting)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def methods_at(app: FastAPI, path: str) -> set[str]:
    """The methods of every operation whose path template matches `path`."""
    methods: set[str] = set()
    for template, path_item in app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(path):
            methods.update(m.upper() for m in path_item if m.upper() in METHODS)
    return methods


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method.upper() in METHODS:
                yield operation


def _exclusive(operation: dict[str, Any], names: tuple[str, ...]) -> None:
    parameters = operation.get("parameters", [])
    found = {p["name"]: p for p in parameters if p["in"] == "query" and p["name"] in names}
    if set(found) != set(names):
        return
    properties = {name: _not_null(found[name]) for name in names}
    operation["parameters"] = [p for p in parameters if p not in found.values()] + [
        {
            "name": "_or_".join(names),
            "in": "query",
            "style": "form",
            "explode": True,
            "required": False,
            "description": " or ".join(f"`{name}`" for name in names) + ", not both.",
            "schema": {
                "type": "object",
                "properties": properties,
                "not": {"required": list(names)},
            },
        }
    ]


def _not_null(parameter: dict[str, Any]) -> dict[str, Any]:
    """The parameter's schema without FastAPI's `null` branch of an optional parameter (a
    query string cannot send null), with its description."""
    schema = dict(parameter["schema"])
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    schema.pop("default", None)
    if "description" in parameter:
        schema["description"] = parameter["description"]
    return schema


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON tree."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)
