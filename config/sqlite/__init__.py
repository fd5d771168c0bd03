"""The SQLite database backend with a fair write lock (see base.py)."""
