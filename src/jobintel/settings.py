"""One typed settings object, built once at start-up and passed down.

Sources, highest priority first: explicit keyword arguments, ``JOBINTEL_*`` environment
variables, a ``.env`` file in the working directory, an optional TOML file (``--config`` or
``JOBINTEL_CONFIG``), then defaults.
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from jobintel.errors import ConfigError

DEFAULT_MAX_INPUT_BYTES = 1_000_000
_FIELD_IN_ERROR = re.compile(r'field "(\w+)"')


class RateLimitSpec(BaseModel):
    """Static limits for one ``service`` or ``service:model`` key (None: unlimited)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    daily_requests: int | None = Field(default=None, ge=0)
    daily_credits: int | None = Field(default=None, ge=0)


def default_data_dir() -> Path:
    """Where the database and caches live unless ``JOBINTEL_DATA_DIR`` says otherwise."""
    return Path(platformdirs.user_data_dir("jobintel", appauthor=False))


class Settings(BaseSettings):
    """The effective configuration of one jobintel process."""

    model_config = SettingsConfigDict(
        env_prefix="JOBINTEL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory for the database and caches",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/jobintel.db",
    )
    out_dir: Path = Field(default=Path("dossiers"), description="Where dossiers are written")
    concurrency: int = Field(default=4, description="Jobs processed at once")
    max_input_bytes: int = Field(
        default=DEFAULT_MAX_INPUT_BYTES, description="Largest posting or CV file accepted"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    log_format: Literal["console", "json"] = "console"

    # --- strategies and model routing ------------------------------------------------
    strategy: Literal["auto", "deterministic", "llm"] = Field(
        default="auto",
        description=(
            "auto: LLM strategies where a model route and its key are configured, "
            "deterministic elsewhere; deterministic: never call a model; llm: require a route"
        ),
    )
    model: str | None = Field(
        default=None,
        description="Default provider:model for extraction and scoring, e.g. openai:gpt-4o-mini",
    )
    writer_model: str | None = Field(
        default=None,
        description="provider:model for writing stages (role, people, cv, cover_letter)",
    )
    stage_models: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Per-stage routes as JSON, e.g. {"fit": "anthropic:claude-haiku-4-5", '
            '"people": "deterministic"}'
        ),
    )
    llm_timeout_s: float = Field(default=60.0, description="Deadline of one model call")
    llm_stream: bool = Field(default=False, description="Stream model answers")

    # --- providers (keys only from JOBINTEL_* variables: no key is picked up by accident) --
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL (default api.openai.com)"
    )
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    openrouter_api_key: SecretStr | None = None
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    ollama_base_url: str = Field(
        default="http://127.0.0.1:11434/v1", description="Local OpenAI-compatible server"
    )
    compatible_base_url: str | None = Field(
        default=None,
        description="Any other OpenAI-compatible server (vLLM, llama.cpp), routed as compatible:<model>",
    )
    compatible_api_key: SecretStr | None = None

    # --- research ------------------------------------------------------------------------
    research: Literal["auto", "firecrawl", "http", "off"] = Field(
        default="auto",
        description="auto: FireCrawl if keyed, else plain HTTP when an LLM route exists; off: posting only",
    )
    firecrawl_api_key: SecretStr | None = None
    firecrawl_base_url: str = "https://api.firecrawl.dev"
    research_ttl_days: float = Field(default=7.0, description="How long company research is reused")
    fetch_allow_private: bool = Field(
        default=False,
        description="Let the HTTP fetcher reach loopback/private addresses (tests, intranets)",
    )
    fetch_max_bytes: int = Field(default=2_000_000, description="Largest page the fetcher reads")
    fetch_timeout_s: float = Field(default=15.0, description="Deadline of one page fetch")

    # --- the runner service ------------------------------------------------------------
    service_host: str = Field(default="127.0.0.1", description="Address jobintel serve binds")
    service_port: int = Field(default=8000, ge=1, le=65535, description="Port jobintel serve binds")
    service_workers: int = Field(
        default=2, ge=1, le=64, description="Runs the service executes at once (others queue)"
    )
    session_ttl_hours: float = Field(default=12.0, gt=0, description="Browser session lifetime")
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the session cookie over HTTPS only (default: when not on loopback)",
    )
    login_attempts_per_minute: int = Field(
        default=5, ge=1, description="Failed logins allowed per user and address per minute"
    )
    metrics_public: bool = Field(
        default=False,
        description="Serve /metrics without a token (for a Prometheus on a private network)",
    )
    max_upload_bytes: int = Field(
        default=2_000_000, ge=1_000, description="Largest upload the service accepts"
    )

    # --- the guard: budgets (USD, exact decimals; None: unlimited) ---------------------
    budget_call_usd: Decimal | None = Field(
        default=Decimal("0.50"), ge=0, description="Most one call may cost (worst case)"
    )
    budget_stage_usd: Decimal | None = Field(default=None, ge=0, description="Per stage of a job")
    budget_job_usd: Decimal | None = Field(
        default=Decimal("2.00"),
        ge=0,
        description="Per job; parallel stages hold their worst cases against it together",
    )
    budget_run_usd: Decimal | None = Field(default=Decimal("10.00"), ge=0, description="Per run")
    budget_candidate_usd: Decimal | None = Field(
        default=None, ge=0, description="Per candidate, all time"
    )
    budget_day_usd: Decimal | None = Field(
        default=Decimal("5.00"), ge=0, description="Per calendar day"
    )
    budget_month_usd: Decimal | None = Field(
        default=Decimal("50.00"), ge=0, description="Per calendar month"
    )
    budget_tokens: dict[str, int] = Field(
        default_factory=dict,
        description='Token limits per scope kind as JSON, e.g. {"day": 2000000, "job": 60000}',
    )
    budget_timezone: str = Field(default="UTC", description="Time zone of budget days/months")
    budget_reservation_ttl_s: float = Field(
        default=600.0, gt=0, description="When a crashed process's reservation is reclaimed"
    )
    # --- rate limits, breakers, retries, prices --------------------------------------
    rate_limits: dict[str, RateLimitSpec] = Field(
        default_factory=dict,
        description='Per service or service:model, e.g. {"openai:gpt-4o-mini": {"rpm": 500, '
        '"tpm": 200000}, "firecrawl": {"daily_credits": 500}}',
    )
    rate_limit_max_wait_s: float = Field(
        default=30.0, ge=0, description="Longest a call waits for rate-limit room"
    )
    breaker_failures: int = Field(default=5, ge=1, description="Consecutive failures that open")
    breaker_window_s: float = Field(default=60.0, gt=0, description="Failure-rate window")
    breaker_min_calls: int = Field(default=10, ge=1, description="Calls before the rate counts")
    breaker_failure_rate: float = Field(default=0.5, gt=0, le=1, description="Rate that opens")
    breaker_cooldown_s: float = Field(default=30.0, ge=0, description="Open time before a probe")
    retry_attempts: int = Field(default=3, ge=1, le=10, description="Attempts per call")
    retry_backoff_s: float = Field(default=0.5, ge=0, description="First retry delay")
    retry_max_backoff_s: float = Field(default=20.0, ge=0, description="Longest retry delay")
    call_deadline_s: float = Field(
        default=180.0, gt=0, description="Bound on one call including its retries"
    )
    prices: dict[str, dict[str, Decimal | None]] = Field(
        default_factory=dict,
        description="Price overrides keyed service:model (patterns like compatible:*), e.g. "
        '{"compatible:*": {}} for a free local server or {"compatible:my-model": '
        '{"input_per_mtok": "0.5", "output_per_mtok": "1.5"}}',
    )
    guard_state: Literal["store", "memory"] = Field(
        default="store",
        description="store: budgets, limits and breakers shared through the database; "
        "memory: per process",
    )

    # --- alerting (in-process; history is always kept, channels are optional) ---------
    alert_slack_url: SecretStr | None = Field(
        default=None, description="Slack-compatible incoming webhook URL (holds a token)"
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None, description="Generic JSON webhook URL for alerts (may hold a token)"
    )
    alert_smtp_host: str | None = Field(default=None, description="SMTP server for alert email")
    alert_smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port")
    alert_smtp_username: str | None = Field(default=None, description="SMTP AUTH user")
    alert_smtp_password: SecretStr | None = Field(default=None, description="SMTP AUTH password")
    alert_smtp_starttls: bool = Field(default=True, description="Upgrade with STARTTLS")
    alert_email_from: str | None = Field(default=None, description="Sender of alert email")
    alert_email_to: list[str] = Field(
        default_factory=list, description='Recipients as JSON, e.g. ["ops@example.com"]'
    )
    alert_routes: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Severity -> channel names ("slack", "webhook", "email", "*"), e.g. '
        '{"critical": ["*"], "warning": ["slack"], "info": []}',
    )
    alert_severities: dict[str, Literal["info", "warning", "critical"]] = Field(
        default_factory=dict,
        description='Per-rule severity overrides, e.g. {"breaker_open": "warning"}',
    )
    alert_repeat_interval_s: float = Field(
        default=3600.0, gt=0, description="Re-send a still-firing alert at most this often"
    )
    alert_max_run_minutes: float = Field(
        default=30.0, gt=0, description="A run going for longer than this alerts"
    )
    alert_stage_failure_rate: float = Field(
        default=0.10, gt=0, le=1, description="Stage failure fraction over the window that alerts"
    )
    alert_external_failure_rate: float = Field(
        default=0.20, gt=0, le=1, description="External call failure fraction that alerts"
    )
    alert_window_s: float = Field(default=300.0, gt=0, description="Failure-rate window")
    alert_send_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per channel per alert notification"
    )
    alert_retry_backoff_s: float = Field(
        default=1.0, ge=0, description="First wait between alert delivery attempts (doubles)"
    )

    # --- tracing (OpenTelemetry; off by default, and free when off) -------------------
    tracing_enabled: bool = Field(default=False, description="Record OpenTelemetry traces")
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint: a base URL (/v1/traces is appended) or the full "
        "traces URL, e.g. http://127.0.0.1:4318 or https://cloud.langfuse.com/api/public/otel",
    )
    otlp_headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Headers sent to the OTLP endpoint as JSON (they hold keys), e.g. "
        '{"Authorization": "Basic ..."} for Langfuse or {"x-api-key": "..."} for LangSmith',
    )
    otlp_timeout_s: float = Field(default=10.0, gt=0, description="OTLP export timeout")
    tracing_sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="Fraction of runs traced"
    )
    tracing_service_name: str = Field(default="jobintel", description="service.name resource")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        toml_path = os.environ.get("JOBINTEL_CONFIG")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("concurrency")
    @classmethod
    def _positive_concurrency(cls, value: int) -> int:
        if not 1 <= value <= 256:
            raise ValueError("must be between 1 and 256: set JOBINTEL_CONCURRENCY=4, for example")
        return value

    @field_validator("model", "writer_model")
    @classmethod
    def _route_syntax(cls, value: str | None) -> str | None:
        if value:
            _check_route(value)
        return value

    @field_validator("stage_models")
    @classmethod
    def _stage_routes(cls, value: dict[str, str]) -> dict[str, str]:
        for stage, route in value.items():
            if stage not in LLM_STAGES:
                raise ValueError(
                    f"{stage!r} is not a stage with an LLM strategy: use one of "
                    + ", ".join(LLM_STAGES)
                )
            _check_route(route)
        return value

    @field_validator("rate_limits")
    @classmethod
    def _quotas_per_service(cls, value: dict[str, RateLimitSpec]) -> dict[str, RateLimitSpec]:
        for key, spec in value.items():
            service, sep, _ = key.partition(":")
            if sep and (spec.daily_requests is not None or spec.daily_credits is not None):
                raise ValueError(
                    f"{key!r} sets a daily quota, but quotas count per service: move "
                    f"daily_requests/daily_credits to the {service!r} entry"
                )
        return value

    @field_validator("budget_tokens")
    @classmethod
    def _token_scopes(cls, value: dict[str, int]) -> dict[str, int]:
        kinds = ("call", "stage", "job", "run", "candidate", "day", "month")
        for kind, limit in value.items():
            if kind not in kinds:
                raise ValueError(f"{kind!r} is not a budget scope: use one of {', '.join(kinds)}")
            if limit < 0:
                raise ValueError(f"token limit for {kind} must not be negative")
        return value

    @field_validator("budget_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as UTC or Europe/Berlin"
            ) from None
        return value

    @field_validator("prices")
    @classmethod
    def _valid_prices(
        cls, value: dict[str, dict[str, Decimal | None]]
    ) -> dict[str, dict[str, Decimal | None]]:
        from jobintel.guard.pricing import ModelPrice

        for key, fields in value.items():
            if ":" not in key:
                raise ValueError(f"price key {key!r} is not service:model (or service:*)")
            try:
                ModelPrice(**fields)
            except ValidationError as exc:
                raise ValueError(f"price {key}: {exc.errors()[0]['msg']}") from None
        return value

    @field_validator("max_input_bytes")
    @classmethod
    def _positive_size(cls, value: int) -> int:
        if value < 1_000:
            raise ValueError(
                "must be at least 1000 bytes: set JOBINTEL_MAX_INPUT_BYTES=1000000 (1 MB)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _parseable_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = make_url(value)
        except Exception as exc:
            raise ValueError(
                "is not a database URL: use e.g. sqlite:///path/to/jobintel.db or "
                "postgresql+psycopg://user@host/db"
            ) from exc
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"backend {url.get_backend_name()!r} is not supported: use sqlite or postgresql"
            )
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'jobintel.db').as_posix()}"

    def masked(self) -> dict[str, str]:
        """The effective configuration as strings, with secrets masked."""
        rows: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                rows[name] = "***" if value.get_secret_value() else ""
            elif name.endswith("_url") and isinstance(value, str):
                rows[name] = _mask_userinfo(value)
            else:
                rows[name] = "" if value is None else str(value)
        rows["database_url"] = mask_url(self.effective_database_url)
        return rows


#: Stages that have an LLM strategy, and which route each takes by default.
LLM_STAGES = ("extract", "pain_points", "company", "role", "fit", "people", "cv", "cover_letter")
WRITING_STAGES = frozenset({"role", "people", "cv", "cover_letter"})
ROUTE_PROVIDERS = ("openai", "anthropic", "openrouter", "ollama", "compatible")


#: A stage route that keeps the stage on its deterministic strategy.
NO_MODEL = "deterministic"


def _check_route(route: str) -> None:
    if route == NO_MODEL:
        return
    provider, sep, model = route.partition(":")
    if not sep or not model.strip():
        raise ValueError(f"{route!r} is not provider:model: write e.g. openai:gpt-4o-mini")
    if provider.strip().lower() not in ROUTE_PROVIDERS:
        raise ValueError(
            f"unknown provider {provider!r} in {route!r}: use one of " + ", ".join(ROUTE_PROVIDERS)
        )


def _mask_userinfo(url: str) -> str:
    """An HTTP URL with any ``user:password@`` replaced by ``***@``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    try:
        parsed = make_url(url)
    except Exception:
        return "***"
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)


def redact_url_secrets(text: str, url: str) -> str:
    """``text`` (e.g. a driver error, which may echo the URL) with the URL's password removed."""
    try:
        password = make_url(url).password
    except Exception:
        return text
    return text.replace(str(password), "***") if password else text


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once, turning validation errors into a ``ConfigError``.

    Each problem names the setting (as its environment variable) and says how to fix it.
    """
    toml_path = os.environ.get("JOBINTEL_CONFIG")
    if toml_path:
        path = Path(toml_path)
        if not path.is_file():
            raise ConfigError(
                [("JOBINTEL_CONFIG", f"{path} does not exist: point it at a TOML file or unset it")]
            )
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError([("JOBINTEL_CONFIG", f"{path} is not valid TOML: {exc}")]) from exc
    try:
        settings = Settings(**overrides)
    except SettingsError as exc:
        # A dict or list setting that is not JSON; pydantic-settings names only the field.
        found = _FIELD_IN_ERROR.search(str(exc))
        name = f"JOBINTEL_{found.group(1).upper()}" if found else "settings"
        raise ConfigError(
            [
                (
                    name,
                    "is not valid JSON: write a list as JSON, e.g. "
                    '["ops@example.com"], or a mapping, e.g. {"x-api-key": "..."}',
                )
            ]
        ) from None
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            env_name = f"JOBINTEL_{field.upper()}"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "is not a jobintel setting: remove it or check its spelling"
            elif err["type"] == "literal_error":
                message = f"{message} (got {err.get('input')!r})"
            problems.append((env_name, message))
        raise ConfigError(problems) from None
    return settings


def check_writable_dir(path: Path) -> str | None:
    """None if ``path`` exists (or can be created) and is writable, else the problem."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {path}: {exc.strerror}"
    if not os.access(path, os.W_OK):
        return f"{path} is not writable"
    return None
