// Unit tests of the shape family (placeholder; filled below).
#include <catch2/catch.hpp>
