"""Inventory service: stock levels, reports and imports."""
