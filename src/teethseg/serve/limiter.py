"""At most ``workers`` radiographs segmented at once, at most ``queue`` more waiting; the rest get 503.

Admission is counted on the event loop (one thread), so no lock is needed; the work itself runs
in a thread pool of ``workers`` threads, which keeps the event loop free to answer other calls
(health, results, the page) while networks run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from teethseg.serve.errors import ApiError

T = TypeVar("T")


class JobLimiter:
    """A bounded pool: ``workers`` jobs run, ``queue`` wait, further requests are refused at once."""

    def __init__(self, workers: int, queue: int) -> None:
        if workers < 1 or queue < 0:
            raise ValueError(f"workers must be >= 1 and queue >= 0, got {workers} and {queue}")
        self.workers, self.queue = workers, queue
        self.admitted = 0
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="teethseg-serve")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a place from the upload to the answer; 503 when every place is taken."""
        if self.admitted >= self.workers + self.queue:
            raise ApiError(503, f"server busy: {self.workers} radiographs being segmented and {self.queue} "
                                "waiting; try again in a few seconds", {"Retry-After": "5"})
        self.admitted += 1
        try:
            yield
        finally:
            self.admitted -= 1

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` in the pool and wait for it without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, partial(function, *args))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
