# tinyaotConfig.cmake - CMake package of an installed tinyaot (find_package(tinyaot CONFIG)).
#
#   find_package(tinyaot 0.1 CONFIG REQUIRED)
#   tinyaot_add_model(net MODEL net.onnx [NAME net] [TARGET cortex-m4] [OPTIONS ...])
#   target_link_libraries(app PRIVATE net)          # net.h, net.cpp (static library)
#
# Provides the imported executable tinyaot::tinyaot (the compiler, a build-machine program) and
# tinyaot_add_model() (TinyaotAddModel.cmake). When cross-compiling, tinyaot_add_model() runs the
# host compiler found via TINYAOT_EXECUTABLE / find_program (this package's bin/ first). Note that
# cross toolchain files usually set CMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY: point tinyaot_DIR at
# <prefix>/lib/cmake/tinyaot to find this package from such a build. See docs/build-integration.md.
include("${CMAKE_CURRENT_LIST_DIR}/tinyaotTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/TinyaotAddModel.cmake")
