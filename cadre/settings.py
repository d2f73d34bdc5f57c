"""The one settings object, read from ``CADRE_*`` environment variables.

Entry points (the CLI, the WSGI server, the bot, the scheduler) build it;
nothing reads the environment at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from surveys.setup.accounts import weak_secret
from surveys.setup.reminders import DEFAULT_QUIET_HOURS, QuietHours

SERVED_URL_FILE = "served-url"
"""Where ``cadre serve`` remembers its address in the data folder when CADRE_BASE_URL is unset."""


class Settings(BaseSettings):
    """Every setting of the product; see the README's table for each variable."""

    model_config = SettingsConfigDict(env_prefix="CADRE_", extra="ignore")

    data_dir: Path = Field(default=Path("var"))
    database_url: str | None = None
    shared_database_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    # Declared before secret_key: its validator reads it.
    env: Literal["development", "production"] = "development"
    secret_key: SecretStr | None = Field(default=None, validate_default=True)
    locale: str | None = None
    timezone: str = "Asia/Shanghai"
    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_bot: str | None = None
    telegram_hr_chats: Annotated[list[int], NoDecode] = Field(default_factory=list)
    telegram_webhook_secret: SecretStr | None = None
    miniapp_max_age: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    rate_limit_storage: str = "memory://"
    public_code_minutes: int = Field(default=5, ge=1, le=60)
    public_form_minutes: int = Field(default=60, ge=10, le=24 * 60)
    # Generous: a service hall behind one NAT address must not reach it (codes stop stuffing).
    public_rate_limit: str = "600 per hour"
    ledger_key: Path | None = None
    box_keys: Path | None = None
    reminder_rate: float = Field(default=25.0, gt=0, le=1000)
    reminder_concurrency: int = Field(default=8, ge=1, le=64)
    quiet_hours: str = DEFAULT_QUIET_HOURS
    scheduler_sync_seconds: float = Field(default=30.0, ge=1, le=3600)
    scheduler_failover_seconds: float = Field(default=5.0, ge=0.5, le=600)
    # cadre serve: a reminder wave sends thousands of phones at once, and phone browsers
    # keep their connection open while the rater reads; waitress's own limit is 100.
    serve_threads: int = Field(default=8, ge=1, le=256)
    serve_connection_limit: int = Field(default=4000, ge=10, le=100_000)
    serve_idle_seconds: int = Field(default=120, ge=5, le=3600)
    serve_backlog: int = Field(default=2048, ge=16, le=65535)
    # The reverse proxy's address: only its X-Forwarded-* headers are believed (client address
    # for the rate limits, https for cookies); empty when phones reach waitress directly.
    serve_trusted_proxy: str | None = None

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if weak_secret(value.get_secret_value()):
            raise ValueError("CADRE_SECRET_KEY must be a random string of at least 32 characters")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_in_production(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        """Production never runs on a key generated behind the operator's back."""
        if value is None and info.data.get("env") == "production":
            raise ValueError("CADRE_SECRET_KEY is required when CADRE_ENV is production")
        return value

    @field_validator("telegram_hr_chats", mode="before")
    @classmethod
    def _chat_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("CADRE_TELEGRAM_API_URL must start with http:// or https://")
        return value.rstrip("/") if value else None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use a name like Asia/Shanghai"
            ) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CADRE_BASE_URL must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _served_base_url(self) -> Settings:
        """Without CADRE_BASE_URL, links follow the address ``cadre serve`` last served here.

        Written to ``__dict__`` so the address does not count as given: the
        next ``cadre serve --port`` replaces it instead of obeying it.
        """
        if "base_url" not in self.model_fields_set:
            served = self.data_dir / SERVED_URL_FILE
            try:
                url = served.read_text().strip()
            except OSError:
                url = ""
            if url.startswith(("http://", "https://")):
                self.__dict__["base_url"] = url.rstrip("/")
        return self

    @property
    def base_url_given(self) -> bool:
        """Whether CADRE_BASE_URL (or a caller) chose the address, rather than a default."""
        return "base_url" in self.model_fields_set

    def resolved_database_url(self) -> str:
        """CADRE_DATABASE_URL, or the embedded SQLite file under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cadre.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """CADRE_SECRET_KEY, or a random key kept in the data folder (mode 0600).

        A single-machine install then works out of the box, and invitation
        links stay valid across restarts without anyone choosing a secret.
        In production the key must be given: a key file appearing silently
        on one machine would differ from the next machine's.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.production:
            raise ValueError("CADRE_SECRET_KEY is required when CADRE_ENV is production")
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    @property
    def production(self) -> bool:
        """Whether this is a production install (CADRE_ENV=production): no defaults for secrets."""
        return self.env == "production"

    def flask_config(self) -> dict:
        """The Flask configuration of the web forms."""
        return {
            "PRODUCTION": self.production,
            "TIMEZONE": self.timezone,
            "SECRET_KEY": self.resolved_secret_key(),
            "DATABASE_URL": self.resolved_database_url(),
            "BASE_URL": self.base_url,
            "TELEGRAM_TOKEN": self.telegram_token_value(),
            "MINIAPP_MAX_AGE": self.miniapp_max_age,
            "RATELIMIT_STORAGE_URI": self.rate_limit_storage,
            "PUBLIC_CODE_MINUTES": self.public_code_minutes,
            "PUBLIC_FORM_MINUTES": self.public_form_minutes,
            "PUBLIC_RATE_LIMIT": self.public_rate_limit,
            "LEDGER_KEY": str(self.resolved_ledger_key()),
            "SHARED_DATABASE_URL": self.shared_database_url,
            "BOX_KEYS": str(self.resolved_box_keys()),
            "QUIET_HOURS": self.quiet_hours,
            "TELEGRAM_BOT": self.telegram_bot,
        }

    def resolved_box_keys(self) -> Path:
        """CADRE_BOX_KEYS, or ``box-keys`` in the data folder: one key file per campaign.

        A copy of the data folder that includes it is a copy of every unopened
        box's key: keep it out of backups of the database, or use scrutineers.
        """
        return self.box_keys or self.data_dir / "box-keys"

    def resolved_ledger_key(self) -> Path:
        """Where the ledger's Ed25519 signing key lives: never inside the database."""
        return self.ledger_key or self.data_dir / "ledger-signing-key.pem"

    def quiet(self) -> QuietHours:
        """The quiet hours, in each campaign's own time zone."""
        return QuietHours.parse(self.quiet_hours)

    def telegram_token_value(self) -> str | None:
        """The bot token as a plain string, if one is set."""
        return self.telegram_token.get_secret_value() if self.telegram_token else None
