"""Per-family converters behind models/tools/convert.py (registry: convert.FAMILIES)."""
