"""The decision: off-topic and empty questions get no passage; the lead decides the rest."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.chunking import Chunk
from server.ask.calibration import Calibration
from server.ask.decision import Decider
from server.ask.retrieval import ArticleHit, Retrieval

CALIBRATION = Calibration(tuple(np.linspace(0.0, 10.0, 101)), True)


def retrieval(margin: float, dense: float = 0.6, terms: tuple[str, ...] = ("card",)) -> Retrieval:
    chunk = Chunk(
        article_id="a",
        kind="section",
        position=0,
        title="A",
        section="",
        anchor="",
        url="/a",
        locale="en",
        pages=(),
        tags=(),
        updated="",
        text="text",
        html="",
        article_hash="h",
    )
    hit = ArticleHit("a", 0, 1.0, chunk, dense, 1.0, 1.0, False)
    return Retrieval([hit], terms, None, margin)


@pytest.mark.parametrize(
    ("margin", "status"), [(9.5, "answered"), (5.0, "suggested"), (1.0, "no_answer")]
)
def test_the_lead_on_the_calibrated_scale_decides(margin: float, status: str) -> None:
    decision = Decider(0.9, 0.2).decide(retrieval(margin), CALIBRATION, off_topic_similarity=0.1)
    assert decision.status == status and decision.reason == "lead"


def test_a_question_closer_to_the_off_topic_ones_than_to_the_kb_gets_no_answer() -> None:
    decision = Decider(0.9, 0.2).decide(retrieval(50.0, dense=0.4), CALIBRATION, 0.7)
    assert (decision.status, decision.reason) == ("no_answer", "off_topic")


def test_a_question_with_no_word_to_look_up_gets_no_answer() -> None:
    decision = Decider(0.9, 0.2).decide(retrieval(50.0, terms=()), CALIBRATION, 0.0)
    assert (decision.status, decision.reason) == ("no_answer", "nothing_to_look_up")


def test_no_article_is_no_answer() -> None:
    decision = Decider(0.9, 0.2).decide(Retrieval([]), CALIBRATION, 0.0)
    assert decision.status == "no_answer"
