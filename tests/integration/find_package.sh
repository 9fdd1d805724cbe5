#!/bin/bash
# integration:find_package - a consumer project finds the installed package with
# find_package(tinyaot CONFIG), compiles the example KWS model with tinyaot_add_model() into a static
# library, links a host C program and gets numpy's class and scores (make_model.py's reference).
. "$(dirname "$0")/lib.sh"
W=$(work_dir find_package)
step "configure the consumer against $PREFIX"
configure "$CONSUMER_SRC" "$W/build" -DCMAKE_PREFIX_PATH="$PREFIX" -DKWS_MODEL="$KWS_DIR/kws_tiny.onnx" \
          -DCMAKE_C_COMPILER="$HOST_CC" -DCMAKE_CXX_COMPILER="$HOST_CXX"
grep -q "^tinyaot_DIR:PATH=$PREFIX/" "$W/build/CMakeCache.txt" || fail "tinyaot_DIR does not point into $PREFIX"
step build
build "$W/build"
uses_compiler "$W/build" "$PREFIX/bin/tinyaot" || fail "the installed tinyaot was not used"
step run
check_consumer "$W/build/consumer"
echo PASS
