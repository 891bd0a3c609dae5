"""The catalog's use cases: each loads, decides with `domain`, writes state and its events, and commits once."""
