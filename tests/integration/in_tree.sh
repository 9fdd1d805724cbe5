#!/bin/bash
# integration:in_tree - tinyaot_add_model() inside the tinyaot build itself, i.e. what a project gets
# from add_subdirectory(<tinyaot source>): the `tinyaot` target compiles the model (the target
# tinyaot_it_in_tree, excluded from `all`, is built here) and the program prints numpy's class.
. "$(dirname "$0")/lib.sh"
step "build tinyaot_it_in_tree in $TINYAOT_BIN"
"$CMAKE" --build "$TINYAOT_BIN" --target tinyaot_it_in_tree
uses_compiler "$TINYAOT_BIN" "$TINYAOT" || fail "the model was not compiled by this build's tinyaot"
check_consumer "$1"
echo PASS
