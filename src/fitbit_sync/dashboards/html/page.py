"""The dashboard's HTML page: linked assets for the live server, everything inline for a report."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import orjson

STATIC = resources.files("fitbit_sync.dashboards.html") / "static"
SCRIPTS = ("vendor/echarts.min.js", "dashboard.js")
STYLES = ("dashboard.css",)


@cache
def asset(name: str) -> str:
    """A file under ``static/`` as text (package data, so it works from a wheel)."""
    return (STATIC / name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    """Text that cannot end the ``<script>`` element it is inlined in."""
    return text.replace("</", "<\\/")


def _json_for_script(value: Any) -> str:
    return orjson.dumps(value).decode().replace("</", "<\\/").replace("<!--", "<\\!--")


def render(config: dict[str, Any], *, inline: bool, title: str = "fitbit-sync dashboard") -> str:
    """The page. ``inline``: CSS, JS and ``config`` (with its payload) inside one file, no requests."""
    if inline:
        styles = "".join(f"<style>\n{asset(name)}\n</style>" for name in STYLES)
        scripts = "".join(f"<script>\n{_script_safe(asset(name))}\n</script>\n" for name in SCRIPTS)
    else:
        styles = "".join(f'<link rel="stylesheet" href="static/{name}">' for name in STYLES)
        scripts = "".join(f'<script src="static/{name}"></script>\n' for name in SCRIPTS)
    html = asset("index.html")
    return (
        html.replace("{{TITLE}}", title.replace("&", "&amp;").replace("<", "&lt;"))
        .replace("{{STYLES}}", styles)
        .replace("{{CONFIG}}", _json_for_script(config))
        .replace("{{SCRIPTS}}", scripts)
    )
