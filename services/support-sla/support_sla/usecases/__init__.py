"""One async function per use case: load, decide with domain/, write state and outbox, commit once."""
