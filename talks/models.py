"""Models of the talks app (filled in by its issue)."""
