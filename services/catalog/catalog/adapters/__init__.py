"""The catalog's adapters: repositories over the ORM tables and the product-definition publisher (SQL, events)."""
