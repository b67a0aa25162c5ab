"""Passwords people pick first, refused at registration and on change.

Only entries of at least the minimum length matter (shorter ones are refused anyway). Drawn from the public
breach lists' most frequent long entries, keyboard walks, and what Vietnamese users type most: "matkhau"
(password), "anhyeuem"/"emyeuanh" (I love you), names and years. Compared case-insensitively, and also with
trailing digits and punctuation stripped ("Matkhau2024!" is "matkhau").
"""

from __future__ import annotations

import re

_WORDS = """
1234567890 0123456789 12345678910 0987654321 9876543210 1111111111 0000000000 1122334455 1234512345
123456789a 123456789q a123456789 q123456789 1234567890a abc1234567 abcd123456 abcdef1234 123456abcd
1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qwertyuiop qwerty1234 qwerty12345 qwertyuiop1 asdfghjkl1 zxcvbnm123
asdfghjkl; qazwsxedc1 qazwsxedcrfv password12 password123 password1234 passw0rd12 p@ssw0rd12 iloveyou12
iloveyou123 princess12 sunshine12 football12 baseball12 superman12 starwars12 computer12 basketball
administrator admin12345 admin123456 welcome123 letmein123 trustno1234 monkey1234 dragon1234 master1234
matkhau123 matkhau1234 matkhaumoi matkhau2024 matkhau2025 matkhau2026 anhyeuem123 emyeuanh123 anhyeuem1
anhyeuemnhieu yeuemnhieu motconvit123 vietnam123 vietnam1234 vietnam2024 saigon1234 hanoi12345
hochiminh123 nguyenvan123 nguyenthi123 tranvan123 lethi12345 0912345678 0987654321a 0123456789a
cuocsong123 hanhphuc123 giadinh123 thanhcong123 maimaibenem taolaai123 khongbiet123 conmeo1234
"""
WORDS = frozenset(_WORDS.split())
_TRAILING = re.compile(r"[\d\W_]+$")
_STEMS = frozenset(stem for stem in (_TRAILING.sub("", word) for word in WORDS) if len(stem) >= 4)


def is_common(password: str) -> bool:
    """True when the password, lowercased (or without its trailing digits and symbols), is a common one."""
    lowered = password.lower()
    return lowered in WORDS or _TRAILING.sub("", lowered) in _STEMS
