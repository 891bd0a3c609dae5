"""One async function per use case: load, decide with `domain/`, write state and outbox events, commit once.

A write takes `ctx: SubscriptionsUseCase` first (caller and instants; it opens its transaction with
`ctx.transaction()`); a read takes the `SubscriptionsRuntime`. Both hand back frozen values (`records`),
never ORM rows.
"""
