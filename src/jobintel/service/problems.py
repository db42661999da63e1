"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the service returns has ``type``, ``title``, ``status`` and ``detail``;
validation errors add ``errors: [{field, message}]`` naming each bad field. An unexpected
exception becomes a bare 500 whose body says nothing about the code or its data: the
trace goes to the server log, never to the client.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("jobintel.service")

PROBLEM_JSON = "application/problem+json"
#: Problem types are tag URIs (RFC 4151): stable names, not pages to fetch.
TYPE_BASE = "tag:jobintel,2025:problem:"
#: Request locations FastAPI puts first in a validation error's ``loc``.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class FieldError(BaseModel):
    """One invalid input: which field (dotted path) and what is wrong with it."""

    field: str
    message: str


class ProblemDetails(BaseModel):
    """An error response (RFC 9457)."""

    type: str = Field(default="about:blank", description="URI naming the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(default="", description="What went wrong here and how to fix it")
    errors: list[FieldError] | None = Field(
        default=None, description="Validation errors, one per invalid field"
    )


class Problem(Exception):
    """Raise in a route to answer with a problem details response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.detail = detail
        self.type = type_
        self.title = title
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        super().__init__(detail)


def invalid(field: str, message: str, *, status: int = 422) -> Problem:
    """A validation problem about one field."""
    return Problem(
        status,
        f"{field}: {message}",
        type_="validation",
        errors=[FieldError(field=field, message=message)],
    )


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    title: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ProblemDetails(
        type=f"{TYPE_BASE}{type_}" if type_ else "about:blank",
        title=title or _phrase(status),
        status=status,
        detail=detail,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """Pydantic/FastAPI errors as ``{field, message}``, the field as a dotted path."""
    out = []
    for error in errors:
        # "[key]" marks an invalid dict key: the key itself is the field's last part.
        loc = [str(part) for part in error.get("loc", ()) if part != "[key]"]
        if len(loc) > 1 and loc[0] in _LOCATIONS:
            loc = loc[1:]
        field = ".".join(loc) or "body"
        out.append(FieldError(field=field, message=str(error.get("msg", "invalid value"))))
    return out


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem details, and document them so in the OpenAPI spec."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            type_=exc.type,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; a path served by
            # several routes (GET and POST /api/runs) must list them all.
            allowed = _allowed_methods(app, request.url.path)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return problem_response(exc.status_code, detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return problem_response(
            422, f"invalid request: {detail}", type_="validation", errors=errors
        )

    app.add_middleware(ProblemOnCrash)
    _document_problems(app)


class ProblemOnCrash:
    """Turns an unhandled exception into a 500 problem that reveals nothing about it.

    Sits inside Starlette's error middleware so the exception stops here: it is logged once
    (with its trace, server-side) and the client sees only that something failed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                return  # a stream already under way can only be cut short
            response = problem_response(
                500,
                "the server failed to answer this request; the error is in its log",
                type_="internal",
            )
            await response(scope, receive, send)


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods.update(method.upper() for method in operations)
    return sorted(methods)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses (bodies: ``ProblemDetails``)."""
    return {
        status: {"model": ProblemDetails, "description": _phrase(status)} for status in statuses
    }


def _document_problems(app: FastAPI) -> None:
    """Error responses carry ``application/problem+json``, not ``application/json``."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if not isinstance(operation, dict):
                    continue
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content")
                    if not str(status).startswith(("4", "5")) or not content:
                        continue
                    if "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
                    media = content.get(PROBLEM_JSON, {})
                    if media.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                        media["schema"] = {"$ref": "#/components/schemas/ProblemDetails"}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "ProblemDetails" not in components:
            own = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in own.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components["ProblemDetails"] = own
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
