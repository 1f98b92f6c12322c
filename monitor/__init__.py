"""Tidings: archive, diff, alerts, scheduling and the command line."""

__version__ = "0.1.0"
