"""Stock reports for the warehouse dashboard."""

import sqlite3
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


def total_units(lines: list[StockLine]) -> int:
    """Units in stock over all lines."""
    return sum(line.quantity for line in lines)
