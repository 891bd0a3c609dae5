"""The catalog's pure rules: effective-dated products, eligibility, upgrade paths, prices and FX (no I/O)."""
