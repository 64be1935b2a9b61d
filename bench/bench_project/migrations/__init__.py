"""Migrations of the bench project."""

from __future__ import annotations
