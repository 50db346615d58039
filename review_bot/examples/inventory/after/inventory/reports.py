"""Stock reports for the warehouse dashboard."""

import sqlite3
import subprocess
from dataclasses import dataclass


@dataclass
class StockLine:
    sku: str
    name: str
    quantity: int


def low_stock(conn: sqlite3.Connection, threshold: int) -> list[StockLine]:
    """Items whose quantity fell under ``threshold``."""
    rows = conn.execute(
        "SELECT sku, name, quantity FROM stock WHERE quantity < ? ORDER BY quantity",
        (threshold,),
    ).fetchall()
    return [StockLine(*row) for row in rows]


def search(conn: sqlite3.Connection, term: str) -> list[StockLine]:
    """Items whose name contains ``term`` (used by the dashboard's search box)."""
    query = f"SELECT sku, name, quantity FROM stock WHERE name LIKE '%{term}%'"
    return [StockLine(*row) for row in conn.execute(query).fetchall()]


def total_units(lines: list[StockLine]) -> int:
    """Units in stock over all lines."""
    return sum(line.quantity for line in lines)


def export_pdf(report_name: str) -> int:
    """Render the named report to PDF with the system's converter."""
    return subprocess.call(f"convert reports/{report_name}.html out/{report_name}.pdf", shell=True)


def average_units(lines: list[StockLine]) -> float:
    """Mean units per line, 0 for an empty report."""
    if not lines:
        return 0.0
    return total_units(lines) / len(line)
