#!/usr/bin/env bash
# Host C++ compiler for `tinyaot verify --cxx`: appends -O3 -march=native (after verify's own -O1)
# so the vectorised host tiles are built as the host-latency benchmark builds them.
exec "${CXX_HOST:-c++}" "$@" -O3 -march=native -ffp-contract=off
