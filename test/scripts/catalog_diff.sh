#!/usr/bin/env bash
# catalog_diff.sh DB1 DB2: compare the valuecheck objects of two databases
# (user tables in schema public are left out).
#
# pg_dump leaves extension members out of a plain dump; --binary-upgrade
# dumps each of them (with ALTER EXTENSION ... ADD), which is the catalog
# an upgrade must reproduce.  OIDs, relfilenodes and frozen xids differ
# between any two databases and are removed before comparing, and so are
# the positions of the config sequences (their data, not their definition).
# Prints "catalogs are identical" or the differences; exits 1 on a difference.
set -euo pipefail
dump() {
    pg_dump --schema-only --binary-upgrade --exclude-schema=public -d "$1" |
        sed -E '/binary_upgrade_set_next/d
                /^SELECT pg_catalog.setval/d
                /^\\(un)?restrict /d
                /binary_upgrade_create_empty_extension/s/[0-9]{3,}/N/g
                s/relfrozenxid = '"'"'[0-9]+'"'"', relminmxid = '"'"'[0-9]+'"'"'/relfrozenxid = X, relminmxid = X/
                s/^WHERE oid = '"'"'[0-9]+'"'"';/WHERE oid = N;/'
}
a="$(mktemp)"; b="$(mktemp)"
trap 'rm -f "$a" "$b"' EXIT
dump "$1" > "$a"
dump "$2" > "$b"
if ! grep -q 'ALTER EXTENSION valuecheck ADD' "$a"; then
    echo "no valuecheck objects in the dump of $1"; exit 1
fi
if diff -u --label "$1" --label "$2" "$a" "$b"; then
    echo "catalogs are identical"
else
    exit 1
fi
