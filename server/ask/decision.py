"""The decision: answer, suggest, or say "I don't know".

A wrong confident answer costs more than none. So:

1. A question closer to one of the off-topic questions that ship with Frontdesk
   (greetings, thanks, trivia, coding requests, gibberish, asking for a human) than
   to anything in the knowledge base gets `no_answer`, never a passage; so does one
   with no word to look up.
2. Otherwise the confidence is how far the best article leads the second (their fused
   scores' difference), on the scale the KB's calibration gives it
   (`server/ask/calibration.py`): the share of questions this KB cannot answer whose
   best article leads by less.
3. At or above the answer threshold: `answered`; at or above the suggest threshold:
   `suggested` (the articles, no passage); below: `no_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.ask.calibration import Calibration
from server.ask.retrieval import Retrieval
from server.ask.schemas import Status

Reason = Literal["lead", "off_topic", "nothing_to_look_up", "no_article"]


@dataclass(frozen=True)
class Decision:
    status: Status
    confidence: float
    reason: Reason


class Decider:
    def __init__(self, answer_threshold: float, suggest_threshold: float) -> None:
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold

    def decide(
        self, retrieval: Retrieval, calibration: Calibration, off_topic_similarity: float
    ) -> Decision:
        """`off_topic_similarity`: the question's cosine similarity to the closest shipped
        off-topic question."""
        if not retrieval.hits:
            return Decision("no_answer", 0.0, "no_article")
        if not retrieval.content_terms:
            return Decision("no_answer", 0.0, "nothing_to_look_up")
        if off_topic_similarity >= retrieval.hits[0].dense:
            return Decision("no_answer", 0.0, "off_topic")
        confidence = calibration.confidence(retrieval.margin)
        if confidence >= self.answer_threshold:
            status: Status = "answered"
        elif confidence >= self.suggest_threshold:
            status = "suggested"
        else:
            status = "no_answer"
        return Decision(status, confidence, "lead")
