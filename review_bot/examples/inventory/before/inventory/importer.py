"""Import supplier price lists."""

import json
from pathlib import Path


def load_price_list(path: Path) -> dict[str, float]:
    """Prices by SKU from a supplier's JSON export."""
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {item["sku"]: float(item["price"]) for item in data["items"]}
