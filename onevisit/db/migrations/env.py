"""Alembic's environment for OneVisit: no alembic.ini and no URL here. `onevisit.db.migrate` passes
an open connection (already inside the hall's write lock and, on PostgreSQL, the hall's schema)."""

from alembic import context

from onevisit.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations through `onevisit db upgrade` (onevisit.db.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: batch mode copies the table ("move and copy"). No effect on PG.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
