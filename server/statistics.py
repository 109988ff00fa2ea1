"""The dashboard's statistics: holdout comparisons, spike tests and the backlog projection.

- A prompt's holdout comparison: the ticket rate of visitors who were shown the prompt
  minus that of its holdout, with Newcombe's 95% interval for a difference of two
  independent proportions (statsmodels), and a verdict in plain words.
- A spike: this week's count against the mean of the weeks before, with a one-sided
  exact Poisson test (scipy), Bonferroni-corrected over every series tested at once.
- The backlog: tickets waiting, day by day, when a team that closes `capacity` tickets a
  day receives `inflow` tickets a day.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import poisson
from statsmodels.stats.proportion import confint_proportions_2indep

MIN_GROUP = 30  # visitors per group before a verdict is given
SPIKE_ALPHA = 0.01  # family-wise, over every series tested
SPIKE_MIN_COUNT = 10  # a spike is never fewer than this many in the week
SPIKE_MIN_RATIO = 1.5  # nor less than this multiple of the usual level
BASELINE_FLOOR = 0.5  # weekly mean assumed for a series never seen before


@dataclass(frozen=True)
class HoldoutComparison:
    shown_visitors: int
    shown_tickets: int
    holdout_visitors: int
    holdout_tickets: int
    shown_rate: float | None
    holdout_rate: float | None
    difference: float | None  # shown rate minus holdout rate
    low: float | None  # 95% interval of the difference
    high: float | None
    verdict: str


def compare_holdout(
    shown_visitors: int, shown_tickets: int, holdout_visitors: int, holdout_tickets: int
) -> HoldoutComparison:
    """Ticket rate of shown vs holdout visitors, the difference, its 95% CI and a verdict."""
    shown_rate = shown_tickets / shown_visitors if shown_visitors else None
    holdout_rate = holdout_tickets / holdout_visitors if holdout_visitors else None
    counts = (shown_visitors, shown_tickets, holdout_visitors, holdout_tickets)
    if shown_visitors == 0 or holdout_visitors == 0:
        return HoldoutComparison(*counts, shown_rate, holdout_rate, None, None, None, "no data yet")
    difference = shown_tickets / shown_visitors - holdout_tickets / holdout_visitors
    low, high = confint_proportions_2indep(
        shown_tickets,
        shown_visitors,
        holdout_tickets,
        holdout_visitors,
        method="newcomb",
        compare="diff",
        alpha=0.05,
    )
    low, high = float(low), float(high)
    if min(shown_visitors, holdout_visitors) < MIN_GROUP:
        verdict = "too few visitors yet"
    elif high < 0:
        verdict = "reduces tickets"
    elif low > 0:
        verdict = "increases tickets"
    else:
        verdict = "no measurable effect yet"
    return HoldoutComparison(*counts, shown_rate, holdout_rate, difference, low, high, verdict)


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
    spikes = []
    for kind, key, label, count, baseline in series:
        usual = max(sum(baseline) / len(baseline), BASELINE_FLOOR) if baseline else BASELINE_FLOOR
        if count < SPIKE_MIN_COUNT or count < SPIKE_MIN_RATIO * usual:
            continue
        p_value = float(poisson.sf(count - 1, usual))
        if p_value < threshold:
            spikes.append(Spike(kind, key, label, count, usual, count / usual, p_value))
    return sorted(spikes, key=lambda s: (s.p_value, -s.ratio))


def project_backlog(inflow: float, capacity: float, days: int, start: float = 0) -> list[float]:
    """Tickets waiting at the end of each of the next `days` days."""
    backlog, out = start, []
    for _ in range(days):
        backlog = max(0.0, backlog + inflow - capacity)
        out.append(backlog)
    return out
