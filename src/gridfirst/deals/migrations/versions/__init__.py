"""Alembic revisions of the deals store, oldest first."""
