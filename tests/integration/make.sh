#!/bin/bash
# integration:make - tinyaot.mk in a plain Makefile (tests/integration/make/Makefile): builds the host
# consumer with numpy's class, regenerates when the model, the compiler or the options change, and
# not otherwise.
. "$(dirname "$0")/lib.sh"
command -v make >/dev/null || { echo "SKIP: make not found"; exit 77; }
W=$(work_dir make)
cp "$KWS_DIR/kws_tiny.onnx" "$W/model.onnx"
cp "$TINYAOT" "$W/tinyaot"
cd "$W"
mk() { make -f "$TINYAOT_SRC/tests/integration/make/Makefile" TINYAOT_MK="$TINYAOT_SRC/tinyaot.mk" \
            TINYAOT="$W/tinyaot" MODEL=model.onnx CC="$HOST_CC" CXX="$HOST_CXX" "$@"; }
GEN=gen/kws/kws.cpp
step build
mk
[ -f gen/kws/kws.h ] || fail "no gen/kws/kws.h"
check_consumer ./consumer
step "no change -> nothing regenerated"
mark t0; mk
newer $GEN t0 && fail "regenerated without a change"
step "touch the model -> regenerated"
mark t1; touch model.onnx; mk
newer $GEN t1 || fail "touching the model did not regenerate"
newer consumer t1 || fail "consumer not relinked"
step "touch the compiler -> regenerated"
mark t2; touch tinyaot; mk
newer $GEN t2 || fail "touching tinyaot did not regenerate"
step "new options -> regenerated"
mark t3; mk OPTS="--target cortex-m4"
newer $GEN t3 || fail "new options did not regenerate"
grep -q -- "--target cortex-m4" $GEN || fail "options did not reach tinyaot"
mark t4; mk OPTS="--target cortex-m4"
newer $GEN t4 && fail "same options regenerated"
check_consumer ./consumer
echo PASS
