"""Data layer of the Wigan Impact Dashboard: validate, load, compute and suppress snapshot figures.

Pure Python and polars; never imports streamlit. See ``shared/data-contract.md`` for the definitions.
"""
