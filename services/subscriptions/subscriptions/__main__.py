"""`python -m subscriptions` serves the service; `python -m subscriptions migrate` applies its migrations."""

from bss.serve import main
from subscriptions.main import MIGRATIONS_DIR, create_app
from subscriptions.settings import get_settings

if __name__ == "__main__":
    main(
        name="subscriptions",
        create_app=create_app,
        get_settings=get_settings,
        default_migrations_dir=MIGRATIONS_DIR,
    )
