"""Test doubles that generated projects and QuickScale's own tests use (never in production)."""
