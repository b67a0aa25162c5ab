"""Synonyms are data: a text file the operators extend, loaded into the index without a deploy.

The file has one rule per line, terms separated by commas, `#` starting a comment. Every term of a group maps to
every other term of it; `a => b, c` is one-way; a term listed in two rules maps to the union. Terms are written
with their diacritics, composed (NFC) and lowercase; the index holds them encoded (`index_synonyms`).
"""

from __future__ import annotations

from pathlib import Path

from meilisearch_python_sdk import AsyncClient

from market.core.text import fold, nfc
from search.meili import wait_succeeded
from search.vietnamese import rewrite_query

DEFAULT_SYNONYMS_PATH = Path(__file__).parent / "data" / "synonyms.txt"
"""The synonyms shipped with the package; deployments may point at their own copy."""

MAX_TERM_LENGTH = 100


class SynonymsFileError(ValueError):
    """The synonyms file has a line that is not a group of at least two terms; names the file and line."""


Rule = tuple[list[str], list[str]]
"""Terms typed (sources) and the terms they also find (targets); a multi-way group has the same list twice."""


def _terms(content: str, source: str, number: int) -> list[str]:
    terms: list[str] = []
    for raw in content.split(","):
        term = " ".join(nfc(raw).lower().split())
        if len(term) > MAX_TERM_LENGTH:
            raise SynonymsFileError(f"{source}:{number}: term longer than {MAX_TERM_LENGTH} characters")
        if term and term not in terms:
            terms.append(term)
    return terms


def parse_rules(text: str, *, source: str = "<synonyms>") -> list[Rule]:
    """The synonym rules of a file's text, in file order.

    A line `a, b, c` is a group (every term finds the others); a line `a => b, c` is one-way (typing `a` also
    finds `b` and `c`, not the reverse), for a word with several meanings: "thơm" is pineapple and fragrant, so
    `thơm => khóm, dứa`, and "dứa" never finds fragrant rice.

    Raises:
        SynonymsFileError: when a line has fewer than two distinct terms, or a term is too long.
    """
    rules: list[Rule] = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        if not content.strip():
            continue
        if "=>" in content:
            typed, found = content.split("=>", 1)
            sources, targets = _terms(typed, source, number), _terms(found, source, number)
            if not sources or not [term for term in targets if term not in sources]:
                raise SynonymsFileError(
                    f"{source}:{number}: a one-way rule needs terms on both sides: {line.strip()!r}"
                )
            rules.append((sources, targets))
            continue
        terms = _terms(content, source, number)
        if len(terms) < 2:
            raise SynonymsFileError(f"{source}:{number}: a group needs at least two different terms: {line.strip()!r}")
        rules.append((terms, terms))
    return rules


def parse_groups(text: str, *, source: str = "<synonyms>") -> list[list[str]]:
    """The terms of every rule (sources then targets), in file order; see `parse_rules`."""
    return [list(dict.fromkeys(sources + targets)) for sources, targets in parse_rules(text, source=source)]


def synonyms_mapping(rules: list[Rule] | list[list[str]]) -> dict[str, list[str]]:
    """What each typed term also finds, in the buyers' words (term -> other terms, sorted); groups merge."""
    mapping: dict[str, set[str]] = {}
    for rule in rules:
        sources, targets = rule if isinstance(rule, tuple) else (rule, rule)
        for term in sources:
            mapping.setdefault(term, set()).update(other for other in targets if other != term)
    return {term: sorted(others) for term, others in sorted(mapping.items()) if others}


def index_synonyms(mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """Meilisearch's synonyms setting for a terms mapping: attached to meanings, never to folded words.

    Each term is keyed as the API rewrites it when typed with diacritics ("dứa" -> "duwaqs"), and finds the
    others in the same encoded form, which only the encoded fields hold: "dứa" never reaches "dưa" through
    folding. A term typed without diacritics ("khom") gets the synonyms too, but only when its folded form is
    no other term's or word's in the file: "dua" could be "dứa" or "dưa" and gets none; "dua hau" is one phrase
    only and gets them.
    """
    encoded = {term: rewrite_query(term) for term in mapping}
    every_word = {word for term in mapping for word in [term, *term.split()]}
    readings: dict[str, set[str]] = {}
    for word in every_word:
        readings.setdefault(fold(word), set()).add(word)
    result: dict[str, set[str]] = {}
    for term, others in mapping.items():
        targets = {encoded.get(other) or rewrite_query(other) for other in others}
        result.setdefault(encoded[term], set()).update(targets - {encoded[term]})
        plain = fold(term)
        if plain != encoded[term] and len(readings.get(plain, {term})) <= 1:
            result.setdefault(plain, set()).update(targets - {plain})
    return {key: sorted(values) for key, values in sorted(result.items()) if values}


def load_synonyms(path: Path) -> tuple[dict[str, list[str]], int]:
    """Read and parse a synonyms file.

    Returns:
        The Meilisearch mapping (`index_synonyms`) and the number of rules in the file.

    Raises:
        OSError: when the file cannot be read.
        SynonymsFileError: when a line is malformed.
    """
    rules = parse_rules(path.read_text(encoding="utf-8"), source=str(path))
    return index_synonyms(synonyms_mapping(rules)), len(rules)


async def reload_synonyms(meili: AsyncClient, index_uid: str, path: Path) -> int:
    """Replace the index's synonyms with the file's and wait until Meilisearch has applied them.

    The file is parsed completely before anything is sent, so a malformed file changes nothing.

    Args:
        meili: the Meilisearch client.
        index_uid: the live index (`search.index.index_uid(prefix)`).
        path: the synonyms file.

    Returns:
        How many groups were loaded.

    Raises:
        SynonymsFileError: when a line is malformed (nothing is sent).
        search.meili.IndexingFailed: when Meilisearch rejects the synonyms.
    """
    mapping, groups = load_synonyms(path)
    task = await meili.index(index_uid).update_synonyms(mapping)
    await wait_succeeded(meili, task.task_uid)
    return groups
