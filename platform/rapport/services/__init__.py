"""Services: work that spans several models (e.g. the demo data)."""
