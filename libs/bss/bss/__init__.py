"""The one shared package of the BSS suite: event contracts, outbox/inbox, Kafka, database, errors, money."""
