"""A prompt's holdout comparison: did visitors who were shown it file fewer tickets?

The ticket rate of visitors who were shown the prompt minus that of its holdout, with
Newcombe's 95% interval for a difference of two independent proportions (statsmodels),
and a verdict in plain words. The groups are the visitors first made eligible in the scope
(`server.insights.exposures`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, case, func, select
from statsmodels.stats.proportion import confint_proportions_2indep

from server.insights.scope import Scope
from server.tables import prompt_exposures

MIN_GROUP = 30  # visitors per group before a verdict is given


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


def holdout_groups(engine: Engine, scope: Scope) -> dict[str, dict[str, tuple[int, int]]]:
    """{prompt: {group: (visitors, visitors with a ticket)}} of the visitors first made
    eligible in the scope."""
    where = [prompt_exposures.c.day >= scope.first_day, prompt_exposures.c.day <= scope.last_day]
    if scope.pages is not None:
        where.append(prompt_exposures.c.page.in_(sorted(scope.pages)))
    with engine.connect() as db:
        rows = db.execute(
            select(
                prompt_exposures.c.prompt_id,
                prompt_exposures.c.grp,
                func.count(),
                func.sum(case((prompt_exposures.c.ticket_ts.is_not(None), 1), else_=0)),
            )
            .where(*where)
            .group_by(prompt_exposures.c.prompt_id, prompt_exposures.c.grp)
        ).all()
    out: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for prompt_id, group, visitors, ticketed in rows:
        out[prompt_id][group] = (int(visitors), int(ticketed or 0))
    return out
