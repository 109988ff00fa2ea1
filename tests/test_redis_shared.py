"""What server processes share through a real Redis: question embeddings and job locks."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import redis

from server.job_locks import RedisJobLocks
from server.query_encoder import QueryEncoder
from server.shared_cache import SharedVectors
from tests.conftest import free_port
from tests.fakes import FakeEmbedder


def encoder(
    redis_url: str, model_id: str = "fake/bag-of-words"
) -> tuple[QueryEncoder, FakeEmbedder]:
    embedder = FakeEmbedder(model_id)
    return QueryEncoder(embedder, shared=SharedVectors.connect(redis_url, model_id, 600)), embedder


def test_a_question_embedded_by_one_process_is_not_embedded_again_by_another(
    redis_server: str,
) -> None:
    first, first_model = encoder(redis_server)
    second, second_model = encoder(redis_server)
    try:
        vector = asyncio.run(first.encode("How do I export my data? (shared)"))
        again = asyncio.run(second.encode("how do i   export my data? (SHARED)"))
    finally:
        first.close()
        second.close()
    assert first_model.calls and not second_model.calls
    assert second.shared_hits == 1
    assert again == pytest.approx(vector, abs=1e-6)


def test_another_model_never_reads_the_first_models_vectors(redis_server: str) -> None:
    first, _ = encoder(redis_server, "model-a")
    other, other_model = encoder(redis_server, "model-b")
    try:
        first.encode_now(["Where are my invoices? (per model)"])
        other.encode_now(["Where are my invoices? (per model)"])
    finally:
        first.close()
        other.close()
    assert other_model.calls == [["where are my invoices? (per model)"]]


def test_without_redis_questions_are_still_answered_by_the_model() -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    unreachable, model = encoder(down)
    try:
        assert len(unreachable.encode_now(["Reset my password"])[0]) == model.dimension
    finally:
        unreachable.close()
    assert model.calls


def test_a_job_lock_admits_one_holder_and_passes_on_when_its_holder_dies(
    redis_server: str,
) -> None:
    one = RedisJobLocks(redis.Redis.from_url(redis_server), seconds=1.5)
    other = RedisJobLocks.connect(redis_server)
    with one.hold("lock-test") as mine:
        assert mine
        time.sleep(2.5)  # longer than the lock lives: it was renewed while the pass ran
        with other.hold("lock-test") as theirs:
            assert not theirs
    with other.hold("lock-test") as theirs:
        assert theirs

    # a holder that died: its lock is never renewed and runs out
    dead = redis.Redis.from_url(redis_server).lock("frontdesk:job:orphan", timeout=1)
    assert dead.acquire(blocking=False)
    with other.hold("orphan") as theirs:
        assert not theirs
    time.sleep(1.2)
    with other.hold("orphan") as theirs:
        assert theirs
    one.close()
    other.close()


def test_a_waiting_holder_gets_the_lock_when_the_pass_ends(redis_server: str) -> None:
    one = RedisJobLocks.connect(redis_server)
    other = RedisJobLocks.connect(redis_server)
    released = threading.Event()

    def run_a_pass() -> None:
        with one.hold("flush") as mine:
            assert mine
            time.sleep(0.5)
        released.set()

    holder = threading.Thread(target=run_a_pass)
    holder.start()
    time.sleep(0.1)
    with other.hold("flush", wait=5) as theirs:
        assert theirs and released.is_set()
    holder.join()
    one.close()
    other.close()
