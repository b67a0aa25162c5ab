"""Common passwords are refused; hashing happens on low-priority threads, never on the event loop."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from market.accounts import hashing
from market.accounts.passwords import is_common
from market.accounts.service import check_password
from market.core.errors import ValidationFailed


@pytest.mark.parametrize("password", ["1234567890", "Matkhau2024!", "anhyeuem!!!", "QWERTYUIOP", "iloveyou1234"])
def test_common_passwords_are_refused(password: str) -> None:
    assert is_common(password)
    with pytest.raises(ValidationFailed) as refused:
        check_password(password)
    assert refused.value.errors[0].code == "password_too_common"


@pytest.mark.parametrize("password", ["mang-cau-ba-den-2026", "banh trang phoi suong", "Thanh long ruột đỏ"])
def test_ordinary_passphrases_pass(password: str) -> None:
    assert not is_common(password)
    check_password(password)


async def test_hashes_are_computed_on_the_hashing_threads_at_the_lowest_priority() -> None:
    seen: dict[str, int] = {}

    def where() -> None:
        seen["thread"] = threading.get_ident()
        if sys.platform == "linux":
            seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    await asyncio.get_running_loop().run_in_executor(hashing._pool, where)
    assert seen["thread"] != threading.get_ident()
    if sys.platform == "linux":
        assert seen["nice"] == hashing.LOWEST_PRIORITY
    stored = await hashing.hash_password("mang-cau-ba-den-2026")
    assert stored.startswith("$argon2id$")
    assert await hashing.verify_password("mang-cau-ba-den-2026", stored)
    assert not await hashing.verify_password("mang-cau-ba-den-2027", stored)
