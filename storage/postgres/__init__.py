"""The PostgreSQL backend: the document store shared by processes on many machines.

Only the configuration is imported here; the backend (and the driver, psycopg) is
loaded by :func:`storage.open_store` when a store on PostgreSQL is opened, so a process
on SQLite never imports it.
"""

from storage.postgres.config import PostgresConfig

__all__ = ["PostgresConfig"]
