"""`python -m catalog` serves the service; `python -m catalog migrate` applies its migrations."""

from bss.serve import main
from catalog.main import MIGRATIONS_DIR, create_app
from catalog.settings import get_settings

if __name__ == "__main__":
    main(
        name="catalog",
        create_app=create_app,
        get_settings=get_settings,
        default_migrations_dir=MIGRATIONS_DIR,
    )
