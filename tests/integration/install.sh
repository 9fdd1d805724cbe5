#!/bin/bash
# integration:install - `cmake --install` of this build into $IT_DIR/prefix (fixture of the others):
# the CLI and the CMake package files must be there.
. "$(dirname "$0")/lib.sh"
rm -rf "$PREFIX"
"$CMAKE" --install "$TINYAOT_BIN" --prefix "$PREFIX"
[ -x "$PREFIX/bin/tinyaot" ] || fail "not installed: bin/tinyaot"
[ -f "$PREFIX/share/tinyaot/tinyaot.mk" ] || fail "not installed: share/tinyaot/tinyaot.mk"
D=$(package_dir)
for f in tinyaotConfig.cmake tinyaotConfigVersion.cmake TinyaotAddModel.cmake tinyaotTargets.cmake; do
  [ -f "$D/$f" ] || fail "not installed: $D/$f"
done
"$PREFIX/bin/tinyaot" --version
echo "installed into $PREFIX"
