"""Which provider serves which stage: ``provider:model`` routes built from the settings."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from jobintel.errors import ConfigError
from jobintel.providers.base import ChatProvider, ModelRef, ResearchProvider
from jobintel.settings import LLM_STAGES, NO_MODEL, WRITING_STAGES, Settings

#: Routes used when a key is configured but no model is named.
_DEFAULT_ROUTES = {
    "openai": ("openai:gpt-4o-mini", "openai:gpt-4o"),
    "anthropic": ("anthropic:claude-haiku-4-5", "anthropic:claude-sonnet-4-5"),
    "openrouter": ("openrouter:openai/gpt-4o-mini", "openrouter:anthropic/claude-sonnet-4.5"),
}


def _keyed(settings: Settings) -> list[str]:
    keyed = []
    for name in ("openai", "anthropic", "openrouter"):
        key = getattr(settings, f"{name}_api_key")
        if key is not None and key.get_secret_value():
            keyed.append(name)
    return keyed


def stage_route(settings: Settings, stage: str) -> ModelRef | None:
    """The model route for ``stage``, or None when the stage should run deterministically."""
    if settings.strategy == "deterministic" or stage not in LLM_STAGES:
        return None
    writing = stage in WRITING_STAGES
    route = settings.stage_models.get(stage)
    if route == NO_MODEL:
        return None
    if route is None:
        route = (settings.writer_model or settings.model) if writing else settings.model
    if route is None:
        keyed = _keyed(settings)
        if keyed:
            cheap, strong = _DEFAULT_ROUTES[keyed[0]]
            route = strong if writing else cheap
    return ModelRef.parse(route) if route else None


def check_routes(settings: Settings) -> list[tuple[str, str]]:
    """Configuration problems with the routes: a routed provider without its key or URL."""
    problems: list[tuple[str, str]] = []
    routes = {stage: stage_route(settings, stage) for stage in LLM_STAGES}
    if settings.strategy == "llm" and not any(routes.values()):
        problems.append(
            (
                "JOBINTEL_STRATEGY",
                "is llm but no model is configured: set JOBINTEL_MODEL (e.g. openai:gpt-4o-mini) "
                "and its key, or use JOBINTEL_STRATEGY=auto",
            )
        )
    for stage, ref in routes.items():
        if ref is None:
            continue
        needs_key = {"openai": "openai_api_key", "anthropic": "anthropic_api_key"}
        needs_key["openrouter"] = "openrouter_api_key"
        attr = needs_key.get(ref.provider)
        if attr and getattr(settings, attr) is None:
            problems.append(
                (
                    f"JOBINTEL_{attr.upper()}",
                    f"stage {stage} is routed to {ref} but no key is set: set "
                    f"JOBINTEL_{attr.upper()} or route the stage elsewhere",
                )
            )
        if ref.provider == "compatible" and not settings.compatible_base_url:
            problems.append(
                (
                    "JOBINTEL_COMPATIBLE_BASE_URL",
                    f"stage {stage} is routed to {ref}: set the server's base URL, e.g. "
                    "http://127.0.0.1:8000/v1",
                )
            )
    if any(routes.values()):
        from jobintel.guard.policies import price_book

        used = [ref for ref in routes.values() if ref is not None]
        problems.extend(price_book(settings).problems(used))
    return sorted(set(problems))


def build_chat_provider(
    settings: Settings, service: str, http_client: httpx.AsyncClient
) -> ChatProvider:
    """The provider object for ``service``, sharing the gateway's HTTP client."""
    from jobintel.providers.anthropic_messages import AnthropicMessages
    from jobintel.providers.openai_chat import OpenAIChat

    def secret(name: str) -> str:
        value = getattr(settings, f"{name}_api_key")
        return value.get_secret_value() if value is not None else ""

    if service == "anthropic":
        return AnthropicMessages(
            name="anthropic",
            base_url=settings.anthropic_base_url,
            api_key=secret("anthropic"),
            http_client=http_client,
        )
    if service == "openai":
        base_url = settings.openai_base_url
    elif service == "openrouter":
        base_url = settings.openrouter_base_url
    elif service == "ollama":
        base_url = settings.ollama_base_url
    elif service == "compatible":
        base_url = settings.compatible_base_url
    else:
        raise ConfigError([("JOBINTEL_MODEL", f"unknown provider {service!r}")])
    key = secret(service) if service in {"openai", "openrouter", "compatible"} else ""
    return OpenAIChat(
        name=service,
        base_url=base_url,
        api_key=key or "not-needed",
        http_client=http_client,
    )


def build_chat_providers(
    settings: Settings, http_client: httpx.AsyncClient
) -> dict[str, ChatProvider]:
    """One provider per service that some stage is routed to."""
    services = {ref.provider for s in LLM_STAGES if (ref := stage_route(settings, s)) is not None}
    return {name: build_chat_provider(settings, name, http_client) for name in sorted(services)}


def research_service(settings: Settings, *, llm_configured: bool) -> str | None:
    """The research service the settings choose: ``"firecrawl"`` when keyed (or asked for),
    else ``"http"`` (the plain fetcher) when an LLM is configured or it is asked for, else
    ``None``."""
    mode = settings.research
    if mode == "off" or settings.strategy == "deterministic":
        return None
    keyed = settings.firecrawl_api_key is not None
    if mode == "firecrawl" or (mode == "auto" and keyed):
        return "firecrawl"
    if mode == "http" or (mode == "auto" and llm_configured):
        return "http"
    return None


def build_research_providers(
    settings: Settings, http_client: httpx.AsyncClient, *, llm_configured: bool
) -> Mapping[str, ResearchProvider]:
    """The research services to use: FireCrawl when keyed, else the plain HTTP fetcher."""
    from jobintel.providers.firecrawl import FireCrawl
    from jobintel.providers.web import WebFetcher

    service = research_service(settings, llm_configured=llm_configured)
    if service == "firecrawl":
        key = settings.firecrawl_api_key.get_secret_value() if settings.firecrawl_api_key else ""
        return {
            "firecrawl": FireCrawl(
                base_url=settings.firecrawl_base_url, api_key=key, http_client=http_client
            )
        }
    if service == "http":
        return {
            "http": WebFetcher(
                http_client=http_client,
                allow_private=settings.fetch_allow_private,
                max_bytes=settings.fetch_max_bytes,
                timeout_s=settings.fetch_timeout_s,
            )
        }
    return {}
