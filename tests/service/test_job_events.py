"""The API's shared job-end listener: one pub/sub connection wakes every ``?wait`` of a job."""

from __future__ import annotations

import asyncio

import redis
import redis.asyncio

from service.events import JobEvents
from workers.jobstore import events_channel


NAME = "fazhi-events-test"


def _pubsub_clients(url: str) -> int:
    """Subscribed connections of this test's client (other tests' workers share the server)."""
    conn = redis.Redis.from_url(url)
    try:
        return sum(1 for c in conn.client_list() if c.get("name") == NAME and (int(c.get("psub", 0)) or int(c.get("sub", 0))))
    finally:
        conn.close()


async def _woken(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


def test_many_waiters_share_one_subscription_and_only_their_job_wakes_them(redis_server):
    async def scenario():
        aredis = redis.asyncio.Redis.from_url(redis_server.url, client_name=NAME)
        events = JobEvents(aredis)
        events.start()
        try:
            assert await events.subscribed(5)
            with events.watch("job-a") as a1, events.watch("job-a") as a2, events.watch("job-b") as b:
                assert _pubsub_clients(redis_server.url) == 1
                await aredis.publish(events_channel("job-a"), "succeeded")
                assert await _woken(a1, 5) and await _woken(a2, 5)
                assert not b.is_set()
            assert events._waiters == {}  # nothing leaks once the waits are over
        finally:
            await events.stop()
            await aredis.aclose()
        return _pubsub_clients(redis_server.url)

    assert asyncio.run(scenario()) == 0


def test_a_redis_restart_wakes_waiters_and_the_listener_subscribes_again(private_redis):
    async def scenario():
        aredis = redis.asyncio.Redis.from_url(private_redis.url)
        events = JobEvents(aredis)
        events.start()
        try:
            assert await events.subscribed(5)
            with events.watch("job-a") as ended:
                await asyncio.to_thread(private_redis.stop)
                # A waiter must re-read the record: its end may have been published while no one listened.
                assert await _woken(ended, 10)
                ended.clear()
                await asyncio.to_thread(private_redis.start)
                assert await events.subscribed(10)
                ended.clear()
                await aredis.publish(events_channel("job-a"), "failed")
                assert await _woken(ended, 5)
        finally:
            await events.stop()
            await aredis.aclose()

    asyncio.run(scenario())


def test_subscribed_reports_false_while_redis_is_unreachable(private_redis):
    async def scenario():
        private_redis.stop()
        aredis = redis.asyncio.Redis.from_url(private_redis.url, socket_connect_timeout=0.2)
        events = JobEvents(aredis)
        try:
            return await events.subscribed(0.5)
        finally:
            await events.stop()
            await aredis.aclose()

    assert asyncio.run(scenario()) is False


def test_stop_ends_the_listener_whenever_it_lands(redis_server):
    """Shutdown cancels the listener at any point, mid-connect included; it must never hang."""

    async def scenario():
        for i in range(40):
            aredis = redis.asyncio.Redis.from_url(redis_server.url, client_name=NAME)
            events = JobEvents(aredis)
            events.start()
            await asyncio.sleep((i % 8) * 0.0005)
            await asyncio.wait_for(events.stop(), 5)
            await aredis.aclose()
        await asyncio.sleep(0.1)
        return _pubsub_clients(redis_server.url)

    assert asyncio.run(scenario()) == 0
