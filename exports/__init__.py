"""Exports read from the archive only and stream their output."""
