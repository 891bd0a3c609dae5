"""Every operation's documented example, run in order against a freshly seeded suite (see runner.py)."""
