#!/bin/sh
# Usage: check_exports.sh PLUGIN.so
# Fails unless the plugin's dynamic symbol table defines exactly one global
# symbol: casebridge_plugin_entry_v1.
set -eu
plugin="$1"
exported=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[A-Z]$/ && $2 != "A" {print $3}' | sort)
if [ "$exported" != "casebridge_plugin_entry_v1" ]; then
  echo "FAIL: $plugin must export only casebridge_plugin_entry_v1; it exports:" >&2
  echo "$exported" >&2
  exit 1
fi
echo "OK: $plugin exports only casebridge_plugin_entry_v1"
