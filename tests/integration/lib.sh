# Shared definitions of the integration test scripts (sourced). Environment from CMakeLists.txt:
#   TINYAOT_SRC (source tree), TINYAOT_BIN (its build dir), TINYAOT (the built CLI), IT_DIR (this
#   test folder's build dir), CMAKE, CMAKE_GEN, CMAKE_MAKE_PROG, HOST_CC, HOST_CXX.
set -euo pipefail
: "${TINYAOT_SRC:?}" "${TINYAOT_BIN:?}" "${TINYAOT:?}" "${IT_DIR:?}" "${CMAKE:?}" "${CMAKE_GEN:?}"
KWS_DIR=$TINYAOT_SRC/examples/kws-cortex-m4
CONSUMER_SRC=$TINYAOT_SRC/tests/integration/consumer
PREFIX=$IT_DIR/prefix                       # `cmake --install` of this build (integration:install)
# The class numpy computed for kws_input.bin (examples/kws-cortex-m4/make_model.py).
EXPECTED_CLASS=$(sed -n 's/^class \([0-9]*\)$/\1/p' "$KWS_DIR/kws_expected.txt")
[ -n "$EXPECTED_CLASS" ] || { echo "no class in $KWS_DIR/kws_expected.txt" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# A fresh work folder for one test.
work_dir() { local w="$IT_DIR/work/$1"; rm -rf "$w"; mkdir -p "$w"; echo "$w"; }

# cmake -S <src> -B <build> with this build's generator and host compilers, plus more -D options.
configure() {
  local src=$1 build=$2; shift 2
  "$CMAKE" -S "$src" -B "$build" -G "$CMAKE_GEN" ${CMAKE_MAKE_PROG:+-DCMAKE_MAKE_PROGRAM="$CMAKE_MAKE_PROG"} "$@"
}
# Builds, echoing the log; the log is also kept in $1.log for checks.
build() { "$CMAKE" --build "$1" -j 2 2>&1 | tee "$1.log"; }

# Runs the host consumer on the example input and checks class and scores against numpy.
check_consumer() {
  local out
  out=$("$1" "$KWS_DIR/kws_input.bin" "$KWS_DIR/kws_expected.txt") || { echo "$out"; fail "$1 failed"; }
  echo "$out"
  grep -qx "class: $EXPECTED_CLASS" <<<"$out" || fail "expected class $EXPECTED_CLASS (numpy)"
}

# The installed package folder (<prefix>/lib[/<arch>]/cmake/tinyaot).
package_dir() { dirname "$(find "$PREFIX" -name tinyaotConfig.cmake | head -1)"; }
# Succeeds when the build rules in build dir $1 run the tinyaot executable $2.
uses_compiler() { grep -rqsF --include='*.ninja' --include='build.make' "$2 compile" "$1"; }
# Succeeds when file $1 is newer than file $2.
newer() { [ "$1" -nt "$2" ]; }
# A time mark strictly after every file written so far (also on file systems with 1 s timestamps).
mark() { sleep 1.1; touch "$1"; }
