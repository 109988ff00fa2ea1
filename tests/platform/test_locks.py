"""Job locks in Redis: one holder at a time across processes, handed on when it dies."""

from __future__ import annotations

import threading
import time

import redis

from server.platform.locks import RedisJobLocks


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
