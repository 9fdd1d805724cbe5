# `--quantize int8` over every float model of ../shared/realmodels (exit 77 when absent):
# 1. tinyaot_bench_quant sqnr: each compiles quantized (calibrated on its own test input plus
#    seeded noise) and its output SQNR against the float model is at least MIN_SQNR dB;
# 2. tinyaot verify --quantize int8: the generated int8 code builds and runs, and its outputs are
#    within a loose 10% tolerance of the float reference (models beyond it are listed, with their
#    measured error, in verify_known_failures.txt and are still run).
set(models tiny_resnet8_f32 tiny_vww_mbv1_f32 tiny_ad_alibaba tiny_ic_alibaba tiny_kws_alibaba
    tiny_vww_alibaba mnist8_cntk mnist_mlp_bn mnist14_tiny_cnn tflm_hello_sine velardo_mfcc_mlp
    factorio_mnist5x5_f32 dory_tcn dory_eegnet dory_frontnet mnist_gru bidi_lstm_textseg)
if(NOT EXISTS ${SHARED}/realmodels)
  message(STATUS "../shared/realmodels not present; skipping")
  cmake_language(EXIT 77)
endif()
set(dirs)
foreach(m ${models})
  list(APPEND dirs ${SHARED}/realmodels/${m})
endforeach()
execute_process(COMMAND ${BENCH} sqnr --min-sqnr 12 ${dirs} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a quantized real model is below 12 dB SQNR or failed to compile (exit ${rc})")
endif()
execute_process(COMMAND ${TINYAOT} verify --quantize int8 --rtol 0.1 --atol 0.1 -j 2
                        --known-failures ${CMAKE_CURRENT_LIST_DIR}/verify_known_failures.txt ${dirs}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tinyaot verify --quantize int8 failed on real models (exit ${rc})")
endif()
