"""Sync-back: turn changes made in a generated project into changes to the project template."""
