-- One database per service, all owned by the `bss` role the services log in as.
-- Run once by the postgres image (docker-entrypoint-initdb.d), as the superuser, on the first start of an
-- empty data volume; psql runs it with ON_ERROR_STOP, so any error stops the container.
-- The password comes from the container's BSS_DB_PASSWORD (psql \getenv), never from this file.

\getenv bss_db_password BSS_DB_PASSWORD
\if :{?bss_db_password}
\else
DO $$ BEGIN RAISE EXCEPTION 'BSS_DB_PASSWORD is not set: the bss role needs a password'; END $$;
\endif

CREATE ROLE bss LOGIN PASSWORD :'bss_db_password';

CREATE DATABASE catalog OWNER bss;
CREATE DATABASE subscriptions OWNER bss;
CREATE DATABASE billing OWNER bss;
CREATE DATABASE support OWNER bss;
CREATE DATABASE gateway OWNER bss;

-- Only the owner (and the superuser) may connect: no other role reads a service's tables.
REVOKE ALL ON DATABASE catalog FROM PUBLIC;
REVOKE ALL ON DATABASE subscriptions FROM PUBLIC;
REVOKE ALL ON DATABASE billing FROM PUBLIC;
REVOKE ALL ON DATABASE support FROM PUBLIC;
REVOKE ALL ON DATABASE gateway FROM PUBLIC;
