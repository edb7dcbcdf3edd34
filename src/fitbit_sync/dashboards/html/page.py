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


# The live page asks for its first data while the browser still parses the libraries (in the
# server's zone, the user's: the browser's own zone plays no part).
PREFETCH = """<script>(function () {
  var h = new URLSearchParams(location.hash.slice(1));
  var p = h.get('from') && h.get('to') ? {from: h.get('from'), to: h.get('to')} : {range: h.get('range') || %s};
  p.tz = %s || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  window.fsFirst = {key: new URLSearchParams(p).toString(), response: fetch('api/data?' + new URLSearchParams(p))};
})();</script>"""


def render(config: dict[str, Any], *, inline: bool, title: str = "fitbit-sync dashboard") -> str:
    """The page. ``inline``: CSS, JS and ``config`` (with its payload) inside one file, no requests."""
    if inline:
        styles = "".join(f"<style>\n{asset(name)}\n</style>" for name in STYLES)
        scripts = "".join(f"<script>\n{_script_safe(asset(name))}\n</script>\n" for name in SCRIPTS)
    else:
        styles = "".join(f'<link rel="stylesheet" href="static/{name}">' for name in STYLES)
        scripts = "".join(f'<script src="static/{name}"></script>\n' for name in SCRIPTS)
    prefetch = "" if "payload" in config else PREFETCH % (_json_for_script(config.get("range") or "30d"),
                                                           _json_for_script(config.get("tz")))
    html = asset("index.html")
    return (
        html.replace("{{TITLE}}", title.replace("&", "&amp;").replace("<", "&lt;"))
        .replace("{{PREFETCH}}", prefetch)
        .replace("{{STYLES}}", styles)
        .replace("{{CONFIG}}", _json_for_script(config))
        .replace("{{SCRIPTS}}", scripts)
    )
