"""Models of the publicity app (filled in by its issue)."""
