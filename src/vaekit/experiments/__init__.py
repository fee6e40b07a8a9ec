"""Workflows that train models and then measure them (above training in the layers)."""
