#!/bin/sh
# Nightly backup of the inventory database.
set -eu
DEST="/var/backups/inventory"
mkdir -p "$DEST"
cp /var/lib/inventory/stock.db "$DEST/stock-$(date +%F).db"
