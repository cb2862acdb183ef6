"""Models of the points app (filled in by its issue)."""
