"""Synonyms are data: a text file the operators extend, loaded into the index without a deploy.

The file has one group per line, terms separated by commas, `#` starting a comment. Every term of a group maps to
every other term of it (Meilisearch's "multi-way" synonyms); a term listed in two groups maps to the union.
Terms are stored composed (NFC) and lowercase, with their diacritics: Meilisearch matches them when buyers type
without diacritics too.
"""

from __future__ import annotations

from pathlib import Path

from meilisearch_python_sdk import AsyncClient

from market.core.text import nfc
from search.meili import wait_succeeded

DEFAULT_SYNONYMS_PATH = Path(__file__).parent / "data" / "synonyms.txt"
"""The synonyms shipped with the package; deployments may point at their own copy."""

MAX_TERM_LENGTH = 100


class SynonymsFileError(ValueError):
    """The synonyms file has a line that is not a group of at least two terms; names the file and line."""


def parse_groups(text: str, *, source: str = "<synonyms>") -> list[list[str]]:
    """The synonym groups of a file's text, in file order.

    Args:
        text: the file's content.
        source: the file's name, for error messages.

    Returns:
        One list of distinct normalised terms per group line.

    Raises:
        SynonymsFileError: when a line has fewer than two distinct terms, or a term is too long.
    """
    groups: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        if not content.strip():
            continue
        terms: list[str] = []
        for raw in content.split(","):
            term = " ".join(nfc(raw).lower().split())
            if len(term) > MAX_TERM_LENGTH:
                raise SynonymsFileError(f"{source}:{number}: term longer than {MAX_TERM_LENGTH} characters")
            if term and term not in terms:
                terms.append(term)
        if len(terms) < 2:
            raise SynonymsFileError(f"{source}:{number}: a group needs at least two different terms: {line.strip()!r}")
        groups.append(terms)
    return groups


def synonyms_mapping(groups: list[list[str]]) -> dict[str, list[str]]:
    """Meilisearch's synonyms setting: every term maps to the other terms of its group(s), sorted."""
    mapping: dict[str, set[str]] = {}
    for group in groups:
        for term in group:
            mapping.setdefault(term, set()).update(other for other in group if other != term)
    return {term: sorted(others) for term, others in sorted(mapping.items())}


def load_synonyms(path: Path) -> tuple[dict[str, list[str]], int]:
    """Read and parse a synonyms file.

    Returns:
        The Meilisearch mapping and the number of groups in the file.

    Raises:
        OSError: when the file cannot be read.
        SynonymsFileError: when a line is malformed.
    """
    groups = parse_groups(path.read_text(encoding="utf-8"), source=str(path))
    return synonyms_mapping(groups), len(groups)


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
