"""Catalog service.

The Acronis contract tiers with their commitments, effective-dated catalog versions, availability rules,
exclusion sets, storefront groups, usage SKUs, price books and FX rates.
"""
