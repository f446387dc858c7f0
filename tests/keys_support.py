"""Secrets for tests: random-looking literals that pass the strength checks (never used anywhere real)."""

STRONG_COOKIE_KEY = "gR7vQ2mXz9LpT4wKc8NbY1sHd6FjU3eA0oVi5tWq"
STRONG_SDC_KEY = "Vb3nKq8ZtR1yWm6HxCp4LsD9jFg2QeU7aTo5NiJz"
