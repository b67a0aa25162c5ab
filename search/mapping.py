"""From the catalog's documents to what is sent to Meilisearch.

The content comes only from `market.catalog.documents`; this module adds what search itself needs:
- `category_slugs`: the slug of every category on the product's path ("trai-cay/mang-cau" -> "trai-cay",
  "mang-cau"). Slugs are unique, so filtering on one finds the products of that category and of all its
  descendants, whatever its depth, without a lookup.
- `category_name`: the product's own category (`category_names` also has its ancestors, ranked lower).
- `name_vn`, `category_vn`, `category_names_vn`, `seller_vn`, `province_vn`, `labels_vn`: those texts with their
  words with diacritics encoded as letters (`search.vietnamese`), so a query typed with diacritics matches them
  exactly.
- `labels`: certifications as buyers type them ("OCOP 4 sao", "VietGAP", "hữu cơ"), searchable.
- `stock_rank`: 2 in stock, 1 open for pre-order only, 0 neither; the ranking rule after `words`.
- `doc_hash`: SHA-256 of the canonical JSON of everything else, so the drift check compares an index with
  PostgreSQL by hashes instead of field by field.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from market.catalog.documents import search_documents
from search.vietnamese import encode_text

Document = dict[str, Any]


_canonical = msgspec.json.Encoder(order="sorted")


def canonical_json(document: Document) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same document always gives the same bytes (msgspec: ~10x json)."""
    return _canonical.encode(document)


def doc_hash(document: Document) -> str:
    """SHA-256 (hex) of the canonical JSON of the document without its `doc_hash`."""
    content = {key: value for key, value in document.items() if key != "doc_hash"}
    return hashlib.sha256(canonical_json(content)).hexdigest()


_LABELS = {"vietgap": "VietGAP", "globalgap": "GlobalGAP", "organic": "hữu cơ organic", "ocop": "OCOP"}


def labels(document: Document) -> list[str]:
    """The certifications as buyers name them; OCOP with its stars ("OCOP 4 sao")."""
    found = []
    for certification in document.get("certifications") or ():
        label = _LABELS.get(certification, certification)
        if certification == "ocop" and document.get("ocop_stars"):
            label = f"OCOP {document['ocop_stars']} sao"
        found.append(label)
    return found


def prepare(document: Document) -> Document:
    """The document as indexed: the catalog's fields plus the search fields above and `doc_hash`."""
    prepared = dict(document)
    prepared["category_slugs"] = [path.rsplit("/", 1)[-1] for path in document.get("category_path") or ()]
    prepared["labels"] = labels(document)
    prepared["name_vn"] = encode_text(document.get("name") or "")
    names = document.get("category_names") or [""]
    prepared["category_name"] = names[-1]
    prepared["category_vn"] = encode_text(names[-1])
    prepared["category_names_vn"] = encode_text(" ".join(names))
    prepared["seller_vn"] = encode_text(document.get("seller_name") or "")
    prepared["province_vn"] = encode_text(document.get("province") or "")
    prepared["labels_vn"] = encode_text(" ".join(prepared["labels"]))
    prepared["stock_rank"] = 2 if document.get("in_stock") else 1 if document.get("pre_order") else 0
    prepared["doc_hash"] = doc_hash(prepared)
    return prepared


async def load_documents(product_ids: list[str]) -> list[Document]:
    """Prepared documents of those products that are public (the others are absent), read in one query."""
    return [prepare(document) for document in await search_documents(product_ids)]
