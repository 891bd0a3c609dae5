"""`python -m support_sla` serves the support-sla service; `python -m support_sla migrate` applies its migrations."""

from bss.serve import main
from support_sla.main import MIGRATIONS_DIR, create_app
from support_sla.settings import get_settings

if __name__ == "__main__":
    main(
        name="support-sla",
        create_app=create_app,
        get_settings=get_settings,
        default_migrations_dir=MIGRATIONS_DIR,
    )
