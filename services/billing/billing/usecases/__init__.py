"""Billing's use cases: each opens and commits its own transaction; routers, consumers and the scheduler call them."""
