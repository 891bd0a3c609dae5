"""`python -m billing` serves the service; `python -m billing migrate` applies its migrations."""

from billing.main import MIGRATIONS_DIR, create_app
from billing.settings import get_settings
from bss.serve import main

if __name__ == "__main__":
    main(
        name="billing",
        create_app=create_app,
        get_settings=get_settings,
        default_migrations_dir=MIGRATIONS_DIR,
    )
