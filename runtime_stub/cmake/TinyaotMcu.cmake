# TinyaotMcu.cmake - helpers for Cortex-M firmware that embeds tinyaot-generated models; use with
# the toolchain file arm-none-eabi.cmake (same folder), include() after project().
#
#   tinyaot_mcu_add_executable(<target> <sources...>)
#       ELF linked with tinyaot's bare-metal runtime (runtime_stub/mcu) and the board linker
#       script, map file <target>.map next to it. Generated model files (NAME.cpp) are ordinary
#       sources; they build with any standard from C++11 on.
include_guard(GLOBAL)
if(NOT TINYAOT_MCU_DIR)
  message(FATAL_ERROR "use -DCMAKE_TOOLCHAIN_FILE=<tinyaot>/runtime_stub/cmake/arm-none-eabi.cmake")
endif()

add_library(tinyaot_mcu_runtime OBJECT ${TINYAOT_MCU_DIR}/tinyaot_startup.c ${TINYAOT_MCU_DIR}/tinyaot_cxx_support.cpp)
target_include_directories(tinyaot_mcu_runtime PUBLIC ${TINYAOT_MCU_DIR})
target_compile_features(tinyaot_mcu_runtime PUBLIC cxx_std_11)

function(tinyaot_mcu_add_executable name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE tinyaot_mcu_runtime)
  target_link_options(${name} PRIVATE "-Wl,-Map=$<TARGET_FILE_DIR:${name}>/${name}.map")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS
               ${TINYAOT_MCU_LDSCRIPT_DIR}/${TINYAOT_MCU_LDSCRIPT} ${TINYAOT_MCU_DIR}/ld/tinyaot_sections.ld)
endfunction()
