"""The one list of domains the application is made of."""

from __future__ import annotations

__all__ = ["register_tables"]


def register_tables() -> None:
    """Import every module that declares tables, so the metadata holds them all (Alembic)."""
    import iris_engine.accreditation.models
    import iris_engine.disclosure.models
    import iris_engine.grievances.models
    import iris_engine.referrals.models
    import iris_engine.roster.models
    import iris_engine.store.models  # noqa: F401
