"""Alembic environment of the deals store: runs on the connection the store hands it."""

from __future__ import annotations

from alembic import context

from gridfirst.deals.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # the store always passes its connection; the alembic CLI is not used
    raise RuntimeError("gridfirst deals migrations run through gridfirst.deals.store only")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
