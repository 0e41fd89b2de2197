"""Alembic migrations of the deals store (run programmatically by :mod:`gridfirst.deals.store`)."""
