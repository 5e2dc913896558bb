"""The per-key limiter: a cap on requests in flight that backs off on 429 and recovers."""

from __future__ import annotations

import threading
from collections import Counter

from harness.models import AdaptiveLimiter, LimiterPool, RetryPolicy, get_variant, make_client
from harness.testing import Reply


def test_decreases_once_per_overload_and_recovers_fast():
    limiter = AdaptiveLimiter(8, decrease=0.5)
    tokens = [limiter.acquire() for _ in range(3)]
    limiter.release(tokens[0], "rate_limited")
    assert limiter.limit == 4 and limiter.decreases == 1
    limiter.release(tokens[1], "rate_limited")  # sent before the decrease: same overload
    limiter.release(tokens[2], "error")  # 5xx and timeouts do not move the cap
    limiter.release(limiter.acquire(), "rate_limited")  # no round trip measured: wait 1 s
    assert limiter.limit == 4 and limiter.decreases == 1
    limiter.release(limiter.acquire(), "ok")  # half the gap back to 8 per round trip
    assert limiter.limit == 4  # 4.5
    for _ in range(20):
        limiter.release(limiter.acquire(), "ok")
    assert limiter.limit == 8 and limiter.in_flight == 0
    limiter.release(limiter.acquire(), "rate_limited")  # a round trip later: a new overload
    assert limiter.limit == 4 and limiter.decreases == 2


def test_waiters_are_served_in_order():
    limiter = AdaptiveLimiter(1)
    token = limiter.acquire()
    order: list[int] = []

    def wait(n: int) -> None:
        limiter.release(limiter.acquire())
        order.append(n)

    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=wait, args=(n,)))
        threads[-1].start()
        while len(limiter._waiters) < n + 1:  # queue them one by one
            threading.Event().wait(0.001)
    limiter.release(token)
    for t in threads:
        t.join()
    assert order == [0, 1, 2, 3, 4]


def test_acquire_blocks_at_the_cap():
    limiter = AdaptiveLimiter(1)
    token = limiter.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (limiter.acquire(), got.set()))
    waiter.start()
    assert not got.wait(0.1)
    limiter.release(token)
    assert got.wait(1)
    waiter.join()


def test_one_limiter_per_key_and_endpoint(fake_server):
    server = fake_server()
    variant = get_variant("k2.6")
    pool = LimiterPool()

    def client(model, key):
        return make_client(model, base_url=server.base_url, api_key=key,
                           limiter=pool.limiter(server.base_url, key))

    a = client(variant, "key-1")
    b = client(get_variant("k2.5"), "key-1")
    c = client(variant, "key-2")
    assert a.limiter is b.limiter is pool.limiter(server.base_url, "key-1")
    assert c.limiter is not a.limiter
    assert a.for_instance("x").limiter is a.limiter
    assert pool.limiter(server.base_url + "/other", "key-1") is not a.limiter
    assert LimiterPool().limiter(server.base_url, "key-1") is not a.limiter  # pools share nothing
    for each in (a, b, c):
        each.close()


def test_a_pool_sets_the_ceiling_a_caller_asks_for():
    pool = LimiterPool()
    limiter = pool.limiter("http://127.0.0.1:1/v1", "k")
    assert limiter.max_concurrency == 32
    assert pool.limiter("http://127.0.0.1:1/v1", "k", max_concurrency=4) is limiter
    assert limiter.max_concurrency == 4


def test_clients_given_no_limiter_have_their_own(fake_server):
    server = fake_server()
    a = make_client(get_variant("k2.6"), base_url=server.base_url, api_key="key-1")
    b = make_client(get_variant("k2.6"), base_url=server.base_url, api_key="key-1")
    assert a.limiter is not b.limiter
    a.close()
    b.close()


def run_workers(client, workers: int, calls: int) -> list:
    replies, lock = [], threading.Lock()

    def work() -> None:
        for _ in range(calls):
            reply = client.complete([{"role": "user", "content": "hi"}])
            with lock:
                replies.append(reply)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return replies


def test_cap_matching_the_server_never_sees_a_429(fake_server, client_for):
    server = fake_server(latency=0.02, concurrency_limit=3)
    client = client_for(server, limiter=AdaptiveLimiter(3))
    assert len(run_workers(client, 12, 2)) == 24
    assert server.count(status=429) == 0


def test_backs_off_on_429_without_losing_or_duplicating_calls(fake_server, client_for):
    server = fake_server(latency=0.02, concurrency_limit=2, default=Reply(text="ok"))
    limiter = AdaptiveLimiter(8)
    patient = RetryPolicy(max_retries=100, base_delay=0.001, max_delay=0.02)
    client = client_for(server, limiter=limiter, retry=patient)
    replies = run_workers(client, 8, 5)
    assert len(replies) == 40
    assert server.count(status=429) > 0 and limiter.decreases >= 1
    served = Counter(r.client_request_id.rsplit("-", 1)[0] for r in server.requests
                     if r.status == 200)
    assert sorted(served) == sorted(r.client_request_id for r in replies)
    assert set(served.values()) == {1}
