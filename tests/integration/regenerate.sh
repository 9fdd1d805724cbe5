#!/bin/bash
# integration:regenerate - tinyaot_add_model() regenerates NAME.cpp/NAME.h when (and only when) the
# model, the tinyaot executable or the options change; TINYAOT_EXECUTABLE selects the compiler.
#   regenerate.sh [generator]       (default: this build's; "Unix Makefiles" does not track command lines)
. "$(dirname "$0")/lib.sh"
if [ $# -ge 1 ]; then
  CMAKE_GEN=$1 CMAKE_MAKE_PROG=""
  [ "$CMAKE_GEN" != "Unix Makefiles" ] || command -v make >/dev/null || { echo "SKIP: make not found"; exit 77; }
fi
W=$(work_dir "regenerate-${CMAKE_GEN// /_}")
cp "$KWS_DIR/kws_tiny.onnx" "$W/model.onnx"
cp "$PREFIX/bin/tinyaot" "$W/tinyaot"           # a compiler of our own to touch
B=$W/build
GEN=$B/tinyaot/kws_model/kws.cpp
configure "$CONSUMER_SRC" "$B" -DCMAKE_PREFIX_PATH="$PREFIX" -DKWS_MODEL="$W/model.onnx" \
          -DTINYAOT_EXECUTABLE="$W/tinyaot" -DCMAKE_C_COMPILER="$HOST_CC" -DCMAKE_CXX_COMPILER="$HOST_CXX" >/dev/null
build "$B" >/dev/null
[ -f "$GEN" ] && [ -f "${GEN%.cpp}.h" ] || fail "no $GEN"
uses_compiler "$B" "$W/tinyaot" || fail "TINYAOT_EXECUTABLE was not used"
check_consumer "$B/consumer" >/dev/null

step "no change -> no regeneration"
mark "$W/t0"; build "$B"
newer "$GEN" "$W/t0" && fail "regenerated without a change"

step "touch the model -> regenerated, program relinked"
mark "$W/t1"; touch "$W/model.onnx"; build "$B"
newer "$GEN" "$W/t1" || fail "touching the model did not regenerate $GEN"
newer "$B/consumer" "$W/t1" || fail "consumer not relinked"
check_consumer "$B/consumer" >/dev/null

step "touch the compiler -> regenerated"
mark "$W/t2"; touch "$W/tinyaot"; build "$B"
newer "$GEN" "$W/t2" || fail "touching tinyaot did not regenerate $GEN"

step "change OPTIONS -> regenerated with them"
mark "$W/t3"
"$CMAKE" "$B" -DKWS_OPTIONS="--target;cortex-m4" >/dev/null
build "$B"
newer "$GEN" "$W/t3" || fail "changing OPTIONS did not regenerate $GEN"
grep -q -- "--target cortex-m4" "$GEN" || fail "the new options did not reach tinyaot"
check_consumer "$B/consumer"
echo PASS
