"""Repositories over MongoDB documents; the only code that sees a collection."""
