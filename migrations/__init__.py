"""Schema migrations of Rapport (tortoise-orm native, portable across SQLite and PostgreSQL)."""
