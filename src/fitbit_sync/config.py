"""Settings: environment variables (``FITBIT_SYNC_*``) over an optional TOML file, validated once.

``load_settings()`` is the only entry point. Every problem becomes a one-line ``ConfigError``
naming the setting, never a pydantic traceback, and secret values never appear in messages.
Text settings are one line of printable text: a control character (a newline from ``$'...'`` or
a file, NUL) is refused here, at start, rather than failing every write (pydantic already refuses
an undecodable byte); ``device_name``, a tag on every point, is also held to the stores' length cap.

Each store's options are one nested model (``SQLiteSettings``, ``InfluxDBSettings``,
``PostgresSettings``), read as ``settings.sqlite``, ``settings.influxdb``, ``settings.postgres``
(``stores/registry.py`` names each kind's group). Their environment variables and TOML keys are
the group's name and the option's, joined: ``FITBIT_SYNC_INFLUXDB_URL`` / ``influxdb_url``, as
they always were; ``Settings`` declares them from the group models, so an option is written once.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, create_model, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from fitbit_sync.errors import ConfigError
from fitbit_sync.stores.values import MAX_TEXT_CHARS

ENV_PREFIX = "FITBIT_SYNC_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

StoreKind = Literal["sqlite", "influxdb1", "influxdb2", "influxdb3", "postgres"]


def default_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "fitbit-sync"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fitbit-sync"


class SQLiteSettings(BaseModel):
    """The SQLite store (the default)."""

    model_config = ConfigDict(frozen=True)

    path: Path | None = Field(None, description="default: <data_dir>/fitbit.db")


class InfluxDBSettings(BaseModel):
    """The InfluxDB stores (1.x, 2.x, 3.x)."""

    model_config = ConfigDict(frozen=True)

    url: str = "http://localhost:8086"
    database: str = "fitbit"
    username: str = ""
    password: SecretStr = SecretStr("")
    org: str = ""
    bucket: str = "fitbit"
    token: SecretStr = SecretStr("")
    gzip: bool = Field(True, description="gzip InfluxDB write requests")
    batch_points: int = Field(5000, ge=1, le=100_000, description="points per InfluxDB write request")


class PostgresSettings(BaseModel):
    """The PostgreSQL store."""

    model_config = ConfigDict(frozen=True)

    dsn: SecretStr = Field(SecretStr(""), description="e.g. postgresql://user:pw@host/db")
    schema_name: str = Field("fitbit", alias="schema", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                             description="PostgreSQL schema holding the tables")


#: Settings group name -> its model; the flat setting of option ``o`` of group ``g`` is ``g_o``.
STORE_GROUPS: dict[str, type[BaseModel]] = {
    "sqlite": SQLiteSettings, "influxdb": InfluxDBSettings, "postgres": PostgresSettings,
}


def _flat_name(group: str, option: str, info: Any) -> str:
    return f"{group}_{info.alias or option}"


def _store_fields() -> dict[str, Any]:
    """Every store option as a flat setting (its environment variable and TOML key)."""
    fields: dict[str, Any] = {}
    for group, model in STORE_GROUPS.items():
        for option, info in model.model_fields.items():
            flat = copy.copy(info)  # the option's default, constraints and description, under its flat name
            flat.alias = flat.validation_alias = flat.serialization_alias = None
            fields[_flat_name(group, option, info)] = (info.annotation, flat)
    return fields


class _Base(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)


if TYPE_CHECKING:
    _StoreOptions = _Base
else:
    _StoreOptions = create_model("_StoreOptions", __base__=_Base, **_store_fields())


class Settings(_StoreOptions):
    """Every setting, with its environment variable ``FITBIT_SYNC_<NAME>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    # --- Google OAuth client (Desktop app) --------------------------------------------------------
    client_id: str = Field("", description="OAuth client id of your Google Cloud Desktop app")
    client_secret: SecretStr = Field(SecretStr(""), description="its client secret")
    auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"
    revoke_url: str = "https://oauth2.googleapis.com/revoke"
    api_base_url: str = Field("https://health.googleapis.com", description="Google Health API root")
    token_file: Path = Field(default_factory=lambda: default_config_dir() / "token.json")
    data_dir: Path = Field(default_factory=default_data_dir)

    # --- store ---------------------------------------------------------------------------------
    store: StoreKind = "sqlite"  # stores/registry.py: how each kind is opened, locked, read
    # each store's options: the groups above (STORE_GROUPS), as sqlite_path, influxdb_url, ...

    # --- what and how to fetch -----------------------------------------------------------------
    device_name: str = Field("Fitbit", max_length=MAX_TEXT_CHARS,
                             description="value of the Device tag on every measurement")
    types: Annotated[list[str], NoDecode] = Field(default_factory=list, description="data types to sync; empty = all")
    heart_rate_resolution: Literal["raw", "1min"] = "raw"
    time_zone: str | None = Field(None, description="IANA zone for daily values; default: from the API")
    quota_per_minute: int = Field(300, ge=1, le=100_000)
    request_timeout: float = Field(30.0, gt=0)
    request_deadline: float = Field(120.0, gt=0, description="seconds one API request may take in all")
    max_response_mb: int = Field(64, ge=1, le=4096, description="largest API answer accepted, in MiB")
    max_concurrency: int = Field(4, ge=1, le=32)
    max_retries: int = Field(6, ge=0, le=50)

    # --- daemon and logging --------------------------------------------------------------------
    sync_interval_minutes: int = Field(15, ge=1)
    daily_interval_minutes: int = Field(60, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_file: Path | None = None

    @field_validator("*")
    @classmethod
    def _one_line_of_text(cls, value: Any) -> Any:
        for item in value if isinstance(value, list) else (value,):
            text = item.get_secret_value() if isinstance(item, SecretStr) else item
            if isinstance(text, Path):  # file names too: a newline in a path breaks logs and units
                text = str(text)
            if not isinstance(text, str):
                continue
            bad = _CONTROL.search(text)
            if bad is not None:  # the value itself is never shown: it may be a secret
                raise ValueError(f"contains a control character (U+{ord(bad.group()):04X}); a setting is one "
                                 "line of printable text")
        return value

    @field_validator("types", mode="before")
    @classmethod
    def _split_types(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value or None

    def _group(self, name: str) -> Any:
        model = STORE_GROUPS[name]
        values = {option: getattr(self, _flat_name(name, option, info)) for option, info in model.model_fields.items()}
        return model.model_construct(**values)

    @property
    def sqlite(self) -> SQLiteSettings:
        group: SQLiteSettings = self._group("sqlite")
        return group

    @property
    def influxdb(self) -> InfluxDBSettings:
        group: InfluxDBSettings = self._group("influxdb")
        return group

    @property
    def postgres(self) -> PostgresSettings:
        group: PostgresSettings = self._group("postgres")
        return group

    @property
    def database_path(self) -> Path:
        return self.sqlite.path or (self.data_dir / "fitbit.db")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # explicit arguments > environment > TOML file (passed in as init kwargs by load_settings)
        return (init_settings, env_settings)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    # accept a [fitbit-sync] table or top-level keys
    table = data.get("fitbit-sync", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [fitbit-sync] must be a table")
    return {str(k).replace("-", "_"): v for k, v in table.items()}


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Settings from ``overrides`` > environment > TOML file (``config_file``, else
    ``$FITBIT_SYNC_CONFIG``, else ``~/.config/fitbit-sync/config.toml`` when it exists)."""
    explicit = config_file or os.environ.get(CONFIG_ENV)
    path = Path(explicit) if explicit else default_config_dir() / "config.toml"
    file_values = _read_toml(path) if (explicit or path.exists()) else {}
    env_names = {k[len(ENV_PREFIX):].lower() for k in os.environ if k.startswith(ENV_PREFIX)}
    values = {k: v for k, v in file_values.items() if k not in env_names}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_first_problem(exc)) from None
    except SettingsError as exc:
        raise ConfigError(f"invalid setting: {str(exc).splitlines()[0]}") from None


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = ".".join(str(p) for p in err.get("loc", ())) or "settings"
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        return f"unknown setting {name!r} (env {ENV_PREFIX}{name.upper()})"
    return f"invalid setting {name} (env {ENV_PREFIX}{name.upper()}): {msg}"
