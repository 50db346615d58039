"""Import supplier price lists."""

import json
import pickle
from pathlib import Path

import yaml

S3_BUCKET = "acme-inventory-imports"
AWS_ACCESS_KEY_ID = "AKIAQ7R2XK5N4HJD3WTY"
AWS_SECRET_ACCESS_KEY = "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"


def load_price_list(path: Path) -> dict[str, float]:
    """Prices by SKU from a supplier's JSON export."""
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {item["sku"]: float(item["price"]) for item in data["items"]}


def load_yaml_price_list(path: Path) -> dict[str, float]:
    """Prices by SKU from the new YAML exports some suppliers send."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle)
    return {item["sku"]: float(item["price"]) for item in data["items"]}


def load_cached(blob: bytes) -> dict[str, float]:
    """Prices from the import cache (uploaded by the supplier portal)."""
    return pickle.loads(blob)
