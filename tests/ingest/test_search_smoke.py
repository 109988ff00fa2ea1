"""After an ingest with the real model, articles are found by the questions users ask."""

from __future__ import annotations

from ingest.articles import load_knowledge_base
from ingest.embedding import SentenceTransformerEmbedder
from ingest.live import LiveIndex
from ingest.versions import IndexVersions
from tests.conftest import SAMPLE_KB


def test_sample_questions_find_their_article_by_dense_search(
    sample_index: IndexVersions, real_embedder: SentenceTransformerEmbedder
) -> None:
    live = LiveIndex(sample_index, real_embedder.model_id)
    index = live.collection()
    assert index is not None
    # the article's own questions are indexed too: ask only about the text here
    where = {"kind": "section"}
    questions = [(a.id, q) for a in load_knowledge_base(SAMPLE_KB) for q in a.meta.questions]
    vectors = real_embedder.embed([q for _, q in questions])
    hits = 0
    for (article_id, _question), vector in zip(questions, vectors, strict=True):
        found = [s.chunk.article_id for s, _ in index.query(vector, limit=15, where=where)]
        top3 = list(dict.fromkeys(found))[:3]
        hits += article_id in top3
    live.close()
    assert hits / len(questions) >= 0.9, f"{hits}/{len(questions)} questions found in the top 3"
