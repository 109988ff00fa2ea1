"""Spikes: pages, ticket categories and gap clusters far above their usual weekly level.

This week's count is tested against the mean of the 8 weeks before with a one-sided exact
Poisson test (scipy), Bonferroni-corrected over every series tested at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from scipy.stats import poisson
from sqlalchemy import Engine, func, select

from server.insights.gap_summary import cluster_titles, gap_conditions
from server.insights.scope import Scope, where
from server.tables import daily_counts, gap_questions

BASELINE_WEEKS = 8
SPIKE_ALPHA = 0.01  # family-wise, over every series tested
SPIKE_MIN_COUNT = 10  # a spike is never fewer than this many in the week
SPIKE_MIN_RATIO = 1.5  # nor less than this multiple of the usual level
BASELINE_FLOOR = 0.5  # weekly mean assumed for a series never seen before
TEST = (
    "one-sided exact Poisson test of the last 7 days against the mean of the 8 weeks "
    "before, Bonferroni-corrected over every series, family-wise alpha 0.01; at least 10 "
    "and 1.5 times the usual level"
)


@dataclass(frozen=True)
class Spike:
    kind: str  # page, category, gap
    key: str
    label: str
    this_week: int
    usual: float  # mean weekly count of the baseline weeks
    ratio: float
    p_value: float  # one-sided Poisson, before the Bonferroni correction


def find_spikes(
    series: list[tuple[str, str, str, int, list[int]]],
    alpha: float = SPIKE_ALPHA,
) -> list[Spike]:
    """Series as (kind, key, label, this week, baseline weeks); the significant ones, worst
    first. Significant: P(X >= this week | Poisson(usual)) < alpha / number of series, at
    least SPIKE_MIN_COUNT and at least SPIKE_MIN_RATIO times the usual level."""
    if not series:
        return []
    threshold = alpha / len(series)
    found = []
    for kind, key, label, count, baseline in series:
        usual = max(sum(baseline) / len(baseline), BASELINE_FLOOR) if baseline else BASELINE_FLOOR
        if count < SPIKE_MIN_COUNT or count < SPIKE_MIN_RATIO * usual:
            continue
        p_value = float(poisson.sf(count - 1, usual))
        if p_value < threshold:
            found.append(Spike(kind, key, label, count, usual, count / usual, p_value))
    return sorted(found, key=lambda s: (s.p_value, -s.ratio))


def spikes(engine: Engine, scope: Scope) -> list[Spike]:
    """Pages, ticket categories and gap clusters whose last 7 days of the scope are far above
    their mean of the 8 weeks before (see `find_spikes`)."""
    week_start = scope.last_day - 6
    first = week_start - 7 * BASELINE_WEEKS
    wide = Scope(first, scope.last_day, scope.page, scope.pages)
    series: list[tuple[str, str, str, int, list[int]]] = []

    def weeks(per_day: Mapping[int, int]) -> tuple[int, list[int]]:
        buckets = [0] * BASELINE_WEEKS
        this = 0
        for day, n in per_day.items():
            if day >= week_start:
                this += n
            elif day >= first:
                buckets[(day - first) // 7] += n
        return this, buckets

    with engine.connect() as db:
        page_rows = db.execute(
            select(daily_counts.c.page, daily_counts.c.day, func.sum(daily_counts.c.value))
            .where(*where(wide, "all"), daily_counts.c.metric.in_(["questions", "tickets"]))
            .group_by(daily_counts.c.page, daily_counts.c.day)
        ).all()
        category_rows = db.execute(
            select(daily_counts.c.key, daily_counts.c.day, func.sum(daily_counts.c.value))
            .where(*where(wide, "category"))
            .group_by(daily_counts.c.key, daily_counts.c.day)
        ).all()
        gap_where = gap_conditions(first, scope.last_day, scope.pages, clustered=True)
        gap_rows = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.day, func.count())
            .where(*gap_where)
            .group_by(gap_questions.c.cluster_id, gap_questions.c.day)
        ).all()
    for kind, rows in (("page", page_rows), ("category", category_rows), ("gap", gap_rows)):
        per_key: dict[Any, dict[int, int]] = defaultdict(dict)
        for key, day, n in rows:
            per_key[key][int(day)] = int(n)
        for key, per_day in per_key.items():
            this, baseline = weeks(per_day)
            series.append((kind, str(key), str(key), this, baseline))
    found = find_spikes(series)
    gap_ids = [int(s.key) for s in found if s.kind == "gap"]
    titles = cluster_titles(engine, gap_ids, first, scope.last_day)
    return [
        replace(s, label=titles.get(int(s.key), f"Gap {s.key}")) if s.kind == "gap" else s
        for s in found
    ]
