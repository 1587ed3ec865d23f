from contextlib import contextmanager

from django.db import connection

from quickscale.apps.keys.models import ApiKey


@contextmanager
def key_table_gone():
    """Break something real: the API key table is renamed away, so authenticating a request
    fails inside the middleware, before any view runs."""
    table = ApiKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            # The failed statement aborted the test's transaction; the rename is undone with it.
            connection.needs_rollback = True
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {table}_gone RENAME TO {table}")
