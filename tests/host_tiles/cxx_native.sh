#!/usr/bin/env bash
# Host C++ compiler for `tinyaot verify --cxx` and run_model_on_mcu.sh (CXX_HOST): appends -O3
# -march=native (after the caller's own -O level) so the vectorised host tiles are built as the
# host-latency benchmark builds them. CXX_HOST names the real compiler unless it names this script.
cxx="${CXX_HOST:-c++}"
[ "$cxx" -ef "$0" ] && cxx=c++
exec "$cxx" "$@" -O3 -march=native -ffp-contract=off
