"""Fased: a self-hosted gateway for persona agents."""

__version__ = "0.1.0"
