"""Loading typed config from YAML: validated once at the edge, errors name file, key and reason."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from crmml.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> dict:
    """Read a YAML mapping; a missing file, bad YAML or a non-mapping is a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, found {type(data).__name__}")
    return data


def load_model(model: type[M], path: Path | None, *, base: dict | None = None) -> M:
    """Validate ``base`` overlaid with the YAML at ``path`` (keys it names override only those).

    Models should set ``model_config = ConfigDict(extra="forbid", frozen=True)`` so an unknown
    key is an error naming that key.
    """
    data: dict = dict(base or {})
    source = str(path) if path else "defaults"
    if path is not None:
        data = deep_merge(data, read_yaml(path))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            found = err.get("input")
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            problems.append(f"{source}: key '{loc}': {msg} (found {found!r})")
        raise ConfigError(f"{source}: invalid config", problems=problems) from None


def deep_merge(base: dict, override: dict) -> dict:
    """Recursively overlay ``override`` on ``base`` (mappings merge, everything else replaces)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
