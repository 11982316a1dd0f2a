"""The channel's methods, one module per group, registered into one registry."""

from __future__ import annotations

from fased.ws.hub import HUB_EVENTS
from fased.ws.methods import agent, chat, config, faces, sessions, system
from fased.ws.methods.registry import MethodRegistry

GROUPS = (system, agent, chat, sessions, faces, config)


def build_registry() -> MethodRegistry:
    registry = MethodRegistry()
    registry.events("connect.challenge", *HUB_EVENTS)
    for group in GROUPS:
        group.register(registry)
    return registry
