"""Analytics the service runs after every collection cycle.

Each analyzer takes the cycle's report and returns lines worth showing (alerts, notable changes).
"""

from __future__ import annotations


def cycle_analyzers(settings) -> list:
    return []
