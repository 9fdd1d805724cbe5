# TinyaotAddModel.cmake - compile ONNX models with tinyaot as part of a CMake build.
#
# Loaded by find_package(tinyaot CONFIG) (installed package), by the tinyaot source tree's own
# CMakeLists.txt (so it is there after add_subdirectory(<tinyaot>)), or directly with
# include(<tinyaot>/cmake/TinyaotAddModel.cmake). Documentation: docs/build-integration.md.
#
#   tinyaot_add_model(<target> MODEL <file.onnx>
#                     [NAME <c_identifier>]        # API prefix and file names; default: model file stem
#                     [TARGET <tinyaot target>]    # --target: generic (default), cortex-m4, cortex-m7, ...
#                     [OPTIONS <arg>...]           # more `tinyaot compile` arguments, verbatim
#                     [DEPENDS <file>...]          # more files whose change regenerates (e.g. --const-input .pb)
#                     [OUTPUT_DIR <dir>])          # default: ${CMAKE_CURRENT_BINARY_DIR}/tinyaot/<target>
#
# creates the STATIC library <target> from the generated <OUTPUT_DIR>/<NAME>.cpp, with <OUTPUT_DIR>
# (holding <NAME>.h) as PUBLIC include directory. The files are regenerated at build time when the
# model, the tinyaot executable, a DEPENDS file or the arguments change.
# Target properties for the caller: TINYAOT_NAME, TINYAOT_GENERATED_DIR, TINYAOT_MODEL.
#
# Which tinyaot runs (it always runs on the build machine):
#   1. TINYAOT_EXECUTABLE, when set (cache variable: -DTINYAOT_EXECUTABLE=/path/to/host/tinyaot);
#   2. not cross-compiling: the `tinyaot` target of the same build (add_subdirectory of the source
#      tree), else the imported tinyaot::tinyaot of find_package(tinyaot CONFIG);
#   3. otherwise (always when CMAKE_CROSSCOMPILING) find_program(TINYAOT_EXECUTABLE tinyaot), looking
#      first next to the found package's tinyaot, then in PATH; the result is cached.
# Quantisation / calibration have no dedicated keywords: pass whatever flags `tinyaot compile`
# has for them through OPTIONS and list data files in DEPENDS.
include_guard(GLOBAL)

# Sets <out_cmd> to what goes in COMMAND (a path or an executable target) and <out_dep> to what
# goes in DEPENDS so that a rebuilt/changed compiler regenerates the model.
function(_tinyaot_find_compiler out_cmd out_dep)
  if(TINYAOT_EXECUTABLE)
    if(NOT EXISTS "${TINYAOT_EXECUTABLE}")
      message(FATAL_ERROR "tinyaot_add_model: TINYAOT_EXECUTABLE='${TINYAOT_EXECUTABLE}' does not exist")
    endif()
    set(${out_cmd} "${TINYAOT_EXECUTABLE}" PARENT_SCOPE)
    set(${out_dep} "${TINYAOT_EXECUTABLE}" PARENT_SCOPE)
    return()
  endif()
  if(NOT CMAKE_CROSSCOMPILING)
    if(TARGET tinyaot)
      get_target_property(_imported tinyaot IMPORTED)
      get_target_property(_type tinyaot TYPE)
      if(NOT _imported AND _type STREQUAL "EXECUTABLE")
        # In-tree compiler: naming the target in COMMAND and DEPENDS makes the custom command wait for
        # it and re-run whenever it is relinked.
        set(${out_cmd} tinyaot PARENT_SCOPE)
        set(${out_dep} tinyaot PARENT_SCOPE)
        return()
      endif()
    endif()
    if(TARGET tinyaot::tinyaot)
      set(${out_cmd} tinyaot::tinyaot PARENT_SCOPE)
      set(${out_dep} "$<TARGET_FILE:tinyaot::tinyaot>" PARENT_SCOPE)
      return()
    endif()
  endif()
  # Cross-compiling (or no tinyaot target/package): a host program. CMAKE_FIND_ROOT_PATH must not
  # re-root the search into the target sysroot.
  set(_hints "")
  if(TARGET tinyaot::tinyaot)
    get_target_property(_loc tinyaot::tinyaot LOCATION)
    if(_loc)
      get_filename_component(_hints "${_loc}" DIRECTORY)
    endif()
  endif()
  find_program(TINYAOT_EXECUTABLE NAMES tinyaot HINTS ${_hints} NO_CMAKE_FIND_ROOT_PATH
               DOC "Host tinyaot compiler run by tinyaot_add_model()")
  if(NOT TINYAOT_EXECUTABLE)
    message(FATAL_ERROR
      "tinyaot_add_model: no host tinyaot compiler found. Build or install tinyaot for the build "
      "machine and configure with -DTINYAOT_EXECUTABLE=/path/to/tinyaot (or put it in PATH).")
  endif()
  set(${out_cmd} "${TINYAOT_EXECUTABLE}" PARENT_SCOPE)
  set(${out_dep} "${TINYAOT_EXECUTABLE}" PARENT_SCOPE)
endfunction()

function(tinyaot_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL;NAME;TARGET;OUTPUT_DIR" "OPTIONS;DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    set(_hint "")
    if(arg_UNPARSED_ARGUMENTS MATCHES "(^|;)(QUANTIZE|CALIBRATION)(;|$)")
      set(_hint " (quantisation/calibration settings go through OPTIONS, as the `tinyaot compile` "
                "flags of this tinyaot version, see `tinyaot compile --help`; data files in DEPENDS)")
      string(JOIN "" _hint ${_hint})
    endif()
    message(FATAL_ERROR "tinyaot_add_model(${target}): unknown arguments '${arg_UNPARSED_ARGUMENTS}'${_hint}")
  endif()
  if(NOT arg_MODEL)
    message(FATAL_ERROR "tinyaot_add_model(${target}): MODEL <file.onnx> is required")
  endif()
  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")

  # The generated files are named after the C identifier tinyaot makes of NAME (codegen::c_identifier:
  # non-alphanumerics -> '_', "m_" prefix when empty or starting with a digit).
  if(DEFINED arg_NAME)
    set(name "${arg_NAME}")
  else()
    get_filename_component(name "${model}" NAME_WLE)  # like std::filesystem::path::stem()
  endif()
  string(REGEX REPLACE "[^A-Za-z0-9]" "_" name "${name}")
  if(name MATCHES "^[0-9]" OR name STREQUAL "")
    set(name "m_${name}")
  endif()

  if(arg_OUTPUT_DIR)
    get_filename_component(out "${arg_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(out "${CMAKE_CURRENT_BINARY_DIR}/tinyaot/${target}")
  endif()
  set(depends "")
  foreach(d IN LISTS arg_DEPENDS)
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND depends "${d}")
  endforeach()

  set(args compile "${model}" -o "${out}" --name "${name}")
  if(arg_TARGET)
    list(APPEND args --target "${arg_TARGET}")
  endif()
  list(APPEND args ${arg_OPTIONS})

  _tinyaot_find_compiler(tinyaot_cmd tinyaot_dep)

  # The arguments live in a file that is rewritten only when they change, so that changing NAME,
  # TARGET or OPTIONS regenerates with every generator (Makefiles do not track command lines).
  file(MAKE_DIRECTORY "${out}")
  set(args_file "${out}/${name}.tinyaot-args")
  string(REPLACE ";" "\n" args_text "${args}")
  set(old_text "")
  if(EXISTS "${args_file}")
    file(READ "${args_file}" old_text)
  endif()
  if(NOT old_text STREQUAL "${args_text}\n")
    file(WRITE "${args_file}" "${args_text}\n")
  endif()

  set(cpp "${out}/${name}.cpp")
  set(hdr "${out}/${name}.h")
  get_filename_component(model_file "${model}" NAME)
  add_custom_command(
    OUTPUT "${cpp}" "${hdr}"
    COMMAND ${tinyaot_cmd} ${args}
    DEPENDS "${model}" ${tinyaot_dep} "${args_file}" ${depends}
    COMMENT "tinyaot: compiling ${model_file} -> ${name}.cpp, ${name}.h"
    VERBATIM COMMAND_EXPAND_LISTS)

  add_library(${target} STATIC "${cpp}" "${hdr}")
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${out}>")
  # The generated code is C++11 with a C99-compatible header; it calls <math.h> functions.
  target_compile_features(${target} PRIVATE cxx_std_11)
  if(NOT MSVC)
    target_link_libraries(${target} PUBLIC -lm)  # as a flag: a target named `m` must not capture it
  endif()
  set_target_properties(${target} PROPERTIES
    LINKER_LANGUAGE CXX
    TINYAOT_NAME "${name}"
    TINYAOT_GENERATED_DIR "${out}"
    TINYAOT_MODEL "${model}")
endfunction()
