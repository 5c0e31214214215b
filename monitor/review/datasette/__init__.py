"""Datasette integration: metadata and the review plugin."""
