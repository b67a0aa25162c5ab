"""Examples for the main request bodies, as a client would send them (a test decodes each into its Struct)."""

from __future__ import annotations

from typing import Any

_ADDRESS = {"recipient_name": "Phạm Thị Hoa", "phone": "0912345678", "street": "12 Hàng Bạc", "ward_code": 70,
            "province_code": 1}  # fmt: skip
EXAMPLES: dict[str, dict[str, Any]] = {
    "RegistrationIn": {"identifier": "hoa@example.vn", "name": "Phạm Thị Hoa", "password": "mưa-rào-tháng-năm",
                       "client": "mobile"},
    "AccountLoginIn": {"identifier": "0912345678", "password": "mưa-rào-tháng-năm", "client": "mobile"},
    "SellerLoginIn": {"identifier": "lan@htx-ben-luc.vn", "password": "khóm-bến-lức-2026"},
    "AccountAddressIn": {**_ADDRESS, "is_default": True},
    "LineIn": {"variant_id": "var_01J9Z3YQ6M8TQ2X4V7B5N0C1D2", "quantity": 2},
    "CheckoutIn": {"payment_method": "cod", "shipping_address": _ADDRESS,
                   "contact": {"phone": "0912345678", "email": "hoa@example.vn"}},
    "ProductIn": {
        "name": "Mãng cầu Bà Đen loại 1", "category": "mang-cau", "description": "Trái to, ngọt thanh, hái trong ngày.",
        "origin": {"province_code": 80, "ward_code": 25708, "farm": "Vườn cô Lan"}, "storage": "ambient",
        "shelf_life_days": 5, "images": ["https://cdn.example.vn/mang-cau.jpg"],
        "variants": [{"sku": "MC-1KG", "unit": "kg", "unit_size": "1 kg", "price": 65000, "weight_g": 1050,
                      "stock": 40}],
    },
}  # fmt: skip


def add_examples(document: dict[str, Any]) -> None:
    """Set each listed component's `examples` (components the document does not have are skipped)."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, example in EXAMPLES.items():
        if name in schemas:
            schemas[name]["examples"] = [example]
