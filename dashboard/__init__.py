"""Streamlit-side code of the dashboard: sign-in, cached loaders, filter widgets, charts and page frames."""
