# Runs `tinyaot verify --rounding tflite` on the MLPerf Tiny int8 models (QDQ and QLinear forms)
# against TFLite Micro's outputs (../shared/mlperf_int8/tflm_rounding); exit 77 if absent.
# ResNet-8 needs lower-qdq's DequantizeLinear -> AveragePool -> QuantizeLinear lowering, which
# applies TFLite's pool rounding under --rounding tflite (docs/passes/lower-qdq.md, pattern 8).
set(dir ${SHARED}/mlperf_int8/tflm_rounding)
if(NOT EXISTS ${dir})
  message(STATUS "../shared/mlperf_int8 not present; skipping")
  cmake_language(EXIT 77)
endif()
execute_process(COMMAND ${TINYAOT} verify --exact --rounding tflite ${dir}/mlperf_ad01_qlinear ${dir}/mlperf_ad01_qdq
                        ${dir}/mlperf_kws_qlinear ${dir}/mlperf_kws_qdq ${dir}/mlperf_vww_qlinear
                        ${dir}/mlperf_vww_qdq ${dir}/mlperf_resnet8_qlinear ${dir}/mlperf_resnet8_qdq -j 2
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tinyaot verify --rounding tflite failed on the MLPerf int8 models (exit ${rc})")
endif()
