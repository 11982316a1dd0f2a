"""Every typed application and request key (STYLE rule 1: no string keys, no globals)."""

from __future__ import annotations

from aiohttp import web

from fased.accounts.principal import Principal
from fased.deps import Deps

DEPS = web.AppKey("deps", Deps)

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
