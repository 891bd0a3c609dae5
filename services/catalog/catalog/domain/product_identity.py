"""Product identity: a product's id is derived from its code, so it is the same in every installation."""

from __future__ import annotations

import uuid

CATALOG_NAMESPACE = uuid.UUID("6f1c2b0e-5a4d-5c3e-9b7a-0c1a7c5e0a01")
"""The fixed namespace of every id the catalog derives (products, price books, the FX rate table)."""


def product_id_for(code: str) -> str:
    """A product's id is `uuid5(CATALOG_NAMESPACE, code)`: stable across renames and installations (seed 003)."""
    return str(uuid.uuid5(CATALOG_NAMESPACE, code))


def derived_id(kind: str, *parts: str) -> str:
    """The id of a catalog aggregate named by its kind and natural key (e.g. a reseller's price list)."""
    return str(uuid.uuid5(CATALOG_NAMESPACE, ":".join((kind, *parts))))


VENDOR_SELL_PRICE_BOOK_ID = derived_id("price-book", "vendor-sell")
FX_RATE_TABLE_ID = derived_id("fx-rates", "USD")
