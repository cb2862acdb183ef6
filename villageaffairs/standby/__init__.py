"""A database backend for a PostgreSQL hot standby (a read replica): see ``base``."""
