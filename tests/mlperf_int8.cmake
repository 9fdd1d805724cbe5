# Runs `tinyaot verify` on the MLPerf Tiny int8 QLinear models (exact outputs); exit 77 if absent.
set(dir ${SHARED}/mlperf_int8/onnx_rounding)
if(NOT EXISTS ${dir})
  message(STATUS "../shared/mlperf_int8 not present; skipping")
  cmake_language(EXIT 77)
endif()
execute_process(COMMAND ${TINYAOT} verify --exact ${dir}/mlperf_ad01_qlinear ${dir}/mlperf_kws_qlinear
                        ${dir}/mlperf_resnet8_qlinear ${dir}/mlperf_vww_qlinear -j 2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tinyaot verify failed on the MLPerf int8 models (exit ${rc})")
endif()
