#!/bin/sh
# Nightly backup of the inventory database.
set -eu
DEST="/var/backups/inventory"
KEEP_DAYS=$1
mkdir -p "$DEST"
cp /var/lib/inventory/stock.db "$DEST/stock-$(date +%F).db"
find $DEST -name 'stock-*.db' -mtime +$KEEP_DAYS -exec rm {} \;
