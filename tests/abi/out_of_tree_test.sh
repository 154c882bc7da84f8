#!/bin/sh
# Out-of-tree SDK round trip, as a third party would do it:
#   1. cmake --install the SDK component of this build into a temporary prefix;
#   2. copy sdk/template outside the source tree and build it against that
#      prefix with find_package(CasebridgeSDK CONFIG);
#   3. check that the plugin exports only casebridge_plugin_entry_v1;
#   4. load it with the server's loader (casebridge_plugin_check) and run
#      its "echo" sub-action;
#   5. with SERVER_TEST (tests/integration/out_of_tree_server_test): start the
#      already-built server on that plugin directory and list and run the
#      template's connector type through ConnectorService.
# Usage: out_of_tree_test.sh SOURCE_DIR BUILD_DIR PLUGIN_CHECK CMAKE [SERVER_TEST]
set -eu
src="$1"; build="$2"; check="$3"; cmake="$4"; server_test="${5:-}"
work=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-oot.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== install SDK to $work/prefix"
"$cmake" --install "$build" --prefix "$work/prefix" --component sdk
test -f "$work/prefix/include/casebridge/plugin_abi.h"
test -f "$work/prefix/include/casebridge/plugin.hpp"
ls "$work/prefix"/lib*/cmake/CasebridgeSDK/CasebridgeSDKConfig.cmake

echo "== build the template outside the source tree"
cp -R "$src/sdk/template" "$work/template"
generator=""
if command -v ninja >/dev/null 2>&1; then generator="-GNinja"; fi
"$cmake" -S "$work/template" -B "$work/template-build" $generator \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix"
"$cmake" --build "$work/template-build" -j 2
plugin="$work/template-build/example_echo.so"
test -f "$plugin"

echo "== exported symbols"
sh "$src/tests/abi/check_exports.sh" "$plugin"

echo "== drop it into a plugin directory and load it"
"$cmake" --install "$work/template-build" --prefix "$work/server-root"
installed=$(ls "$work/server-root"/lib*/casebridge/plugins/example_echo.so)
out=$("$check" "$installed" .example-echo echo '{"message":"hi from out of tree"}')
echo "$out"
echo "$out" | grep -q '^plugin example-echo 1.0.0 "Example echo plugin" abi 1.0 '
echo "$out" | grep -q '^type .example-echo "Example echo" features=cases sub_actions=echo,handshake mappings=3$'
echo "$out" | grep -q '^result {"connector_id":"plugin-check","echo":"hi from out of tree"}$'

if [ -n "$server_test" ]; then
  echo "== run it in the server through ConnectorService"
  CASEBRIDGE_OOT_PLUGIN_DIR=$(dirname "$installed") "$server_test" \
    --gtest_filter=OutOfTreeServerTest.* 2>&1 |
    grep -v '^{"' > "$work/server_test.log" || true
  cat "$work/server_test.log"
  grep -q '^\[  PASSED  \] 1 test' "$work/server_test.log"
  if grep -q 'SKIPPED' "$work/server_test.log"; then echo "server test was skipped"; exit 1; fi
fi
echo "PASS"
