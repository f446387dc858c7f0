"""Benchmarks of the data layer against DuckDB (``python -m benchmarks``)."""
