"""Models of the loans app (filled in by its issue)."""
