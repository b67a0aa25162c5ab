"""argon2id password hashing on a few dedicated, low-priority worker threads, never on the event loop.

One argon2id hash (pwdlib's defaults: 64 MiB, 3 passes, 4 lanes) keeps up to four threads busy for about 100 ms.
Run on the shared thread pool, a burst of sign-ins would take the cores from every other request. Here:
- at most HASH_THREADS hashes run at once per process (one per two cores); the rest wait their turn in the queue;
- the hashing threads run at the lowest CPU priority (nice 19, per thread on Linux), and the lanes argon2 starts
  inherit it, so requests that do not hash (product pages, carts) keep their latency while sign-ins take what is
  left of the CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

HASH_THREADS = max(1, (os.cpu_count() or 2) // 2)
LOWEST_PRIORITY = 19
_hasher = PasswordHash((Argon2Hasher(),))


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)


_pool = ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="argon2", initializer=_lower_priority)


async def hash_password(password: str) -> str:
    """The argon2id hash of a password, computed on a hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    """Whether the password matches the hash, checked on a hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.verify, password, password_hash)
