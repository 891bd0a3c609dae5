"""`python -m deploy.import_book DIR`: import an existing distributor's book from CSV files, through the gateway.

`resellers.csv`, `subscriptions.csv`, `tickets.csv` and `ticket_history.csv` (docs/import-format.md) are read and
checked whole before anything is sent (`book_files`); then the book goes to `POST /api/v1/subscriptions/imports/
book` and the tickets, with the ids the book's answer gives their resellers, to `POST /api/v1/support/imports/
tickets` (`importer`), and a summary is printed (`summary`). `python -m deploy.import_book.samples OUT_DIR` writes
a realistic sample book (`samples`).
"""
