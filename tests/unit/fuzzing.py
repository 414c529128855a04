"""Hypothesis settings of the hostile-input tests: bounded in examples and in time."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings


def bounded_fuzz(max_examples: int) -> settings:
    """At most `max_examples` examples of 10 s each at the most (the tests write files under
    tmp_path_factory, and some strategies are slow to draw)."""
    return settings(
        max_examples=max_examples,
        deadline=timedelta(seconds=10),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
