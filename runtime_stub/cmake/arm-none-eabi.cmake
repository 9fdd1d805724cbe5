# arm-none-eabi.cmake - CMake toolchain file for firmware built with tinyaot-generated models on
# Cortex-M (GNU Arm Embedded toolchain, newlib-nano, tinyaot's bare-metal runtime in
# runtime_stub/mcu, linker scripts for the QEMU mps2/mps3 boards). Adapted from the project's
# mcu-harness.
#
#   cmake -S fw -B build-m4 -G Ninja -DCMAKE_TOOLCHAIN_FILE=<tinyaot>/runtime_stub/cmake/arm-none-eabi.cmake \
#         -DTINYAOT_MCU_CPU=m4 -DCMAKE_BUILD_TYPE=Release      # Release = -O2, MinSizeRel = -Os
#
# TINYAOT_MCU_CPU: m3 (mps2-an385) | m4 (mps2-an386) | m7 (mps2-an500) | m33 (mps2-an505)
#                  | m55 (mps3-an547)
# Then include(TinyaotMcu) (this folder is added to CMAKE_MODULE_PATH) for
# tinyaot_mcu_add_executable(<target> <sources...>), which links the runtime (tinyaot_startup.c,
# tinyaot_cxx_support.cpp) and the board's linker script. Executables run under QEMU through
# runtime_stub/mcu/run_elf.sh, which is also CMAKE_CROSSCOMPILING_EMULATOR, so add_test() works.
# For a real board, replace the linker script (TINYAOT_MCU_LDSCRIPT_DIR / TINYAOT_MCU_LDSCRIPT).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TINYAOT_MCU_CPU "m4" CACHE STRING "Target CPU: m3 m4 m7 m33 m55")
set_property(CACHE TINYAOT_MCU_CPU PROPERTY STRINGS m3 m4 m7 m33 m55)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TINYAOT_MCU_CPU)

get_filename_component(TINYAOT_MCU_DIR "${CMAKE_CURRENT_LIST_DIR}/../mcu" ABSOLUTE)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

set(_tinyaot_prefix "arm-none-eabi-")
set(CMAKE_C_COMPILER   ${_tinyaot_prefix}gcc)
set(CMAKE_CXX_COMPILER ${_tinyaot_prefix}g++)
set(CMAKE_ASM_COMPILER ${_tinyaot_prefix}gcc)
set(CMAKE_OBJCOPY      ${_tinyaot_prefix}objcopy CACHE FILEPATH "")
set(CMAKE_SIZE         ${_tinyaot_prefix}size CACHE FILEPATH "")
# the compiler cannot link a test program without the runtime's startup code / linker script
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

if(TINYAOT_MCU_CPU STREQUAL "m3")
  set(_tinyaot_arch "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
  set(_tinyaot_ld mps2-an386.ld)
elseif(TINYAOT_MCU_CPU STREQUAL "m4")
  set(_tinyaot_arch "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
  set(_tinyaot_ld mps2-an386.ld)
elseif(TINYAOT_MCU_CPU STREQUAL "m7")
  set(_tinyaot_arch "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
  set(_tinyaot_ld mps2-an500.ld)
elseif(TINYAOT_MCU_CPU STREQUAL "m33")
  set(_tinyaot_arch "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
  set(_tinyaot_ld mps2-an505.ld)
elseif(TINYAOT_MCU_CPU STREQUAL "m55")
  set(_tinyaot_arch "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")  # implies MVE (int + float)
  set(_tinyaot_ld mps3-an547.ld)
else()
  message(FATAL_ERROR "TINYAOT_MCU_CPU must be one of m3 m4 m7 m33 m55 (got '${TINYAOT_MCU_CPU}')")
endif()
set(TINYAOT_MCU_LDSCRIPT_DIR "${TINYAOT_MCU_DIR}/ld" CACHE PATH "Folder of the linker scripts")
set(TINYAOT_MCU_LDSCRIPT "${_tinyaot_ld}" CACHE STRING "Linker script (in TINYAOT_MCU_LDSCRIPT_DIR)")

set(CMAKE_C_FLAGS_INIT   "${_tinyaot_arch} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_tinyaot_arch} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${_tinyaot_arch}")
# nano.specs: newlib-nano; rdimon.specs: semihosting syscalls; -nostartfiles: tinyaot_startup.c replaces crt0
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "${_tinyaot_arch} --specs=nano.specs --specs=rdimon.specs -nostartfiles -L${TINYAOT_MCU_LDSCRIPT_DIR} -T${TINYAOT_MCU_LDSCRIPT} -Wl,--gc-sections -Wl,--print-memory-usage")
# MinSizeRel = -Os, Release = -O2 (CMake's default for Release would be -O3)
set(CMAKE_C_FLAGS_RELEASE   "-O2 -DNDEBUG" CACHE STRING "")
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "")
set(CMAKE_EXECUTABLE_SUFFIX_C   ".elf")
set(CMAKE_EXECUTABLE_SUFFIX_CXX ".elf")
set(CMAKE_EXECUTABLE_SUFFIX_ASM ".elf")

set(CMAKE_CROSSCOMPILING_EMULATOR "${TINYAOT_MCU_DIR}/run_elf.sh;--cpu;${TINYAOT_MCU_CPU};--")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
