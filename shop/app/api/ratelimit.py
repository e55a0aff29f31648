"""Rate limits for the routes anyone can reach: per client address, and per pay link.

Token buckets in the process's memory: each uvicorn worker keeps its own, so N workers allow up to
N times the configured rate (docs/configuration.md). Behind a reverse proxy the client address is
the proxy's unless uvicorn trusts its X-Forwarded-For (`--forwarded-allow-ips`).
"""

from __future__ import annotations

import math
import threading
import time

from fastapi import Depends, HTTPException, Request, status

from app.api.deps import SettingsDep

# Buckets idle long enough to be full again are forgotten once there are this many.
MAX_BUCKETS = 10_000


class RateLimiter:
    """`per_minute` requests a minute per key, in bursts of up to `per_minute`."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last update)
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def wait_needed(self, key: str) -> float:
        """Takes one request from `key`'s allowance: 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.refill_per_second
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return 0.0

    def _forget_full(self, now: float) -> None:
        full_after = self.capacity / self.refill_per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


def _limiter(request: Request, name: str, per_minute: int) -> RateLimiter:
    limiters: dict[str, RateLimiter] = request.app.state.rate_limiters
    limiter = limiters.get(name)
    if limiter is None:
        limiter = limiters.setdefault(name, RateLimiter(per_minute))
    return limiter


def _enforce(request: Request, name: str, per_minute: int, key: str) -> None:
    if per_minute <= 0:
        return
    wait = _limiter(request, name, per_minute).wait_needed(key)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(seconds)},
                            detail=f"Too many requests. Try again in {seconds} s.")


def limit_client(request: Request, settings: SettingsDep) -> None:
    """Every public route: SHOP_PUBLIC_REQUESTS_PER_MINUTE per client address."""
    client = request.client.host if request.client else "unknown"
    _enforce(request, "client", settings.shop_public_requests_per_minute, client)


def limit_pay_link(request: Request, settings: SettingsDep) -> None:
    """Posts to one pay link: SHOP_PAY_POSTS_PER_MINUTE, whoever sends them."""
    _enforce(request, "pay_link", settings.shop_pay_posts_per_minute, str(request.path_params.get("token")))


ClientLimit = Depends(limit_client)
PayLinkLimit = Depends(limit_pay_link)
