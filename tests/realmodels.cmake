# Runs `tinyaot verify` on the real models (float and int8) in ../shared/realmodels; exit 77 (skip) if absent.
set(models tiny_resnet8_f32 tiny_vww_mbv1_f32 tiny_ad_alibaba tiny_ic_alibaba tiny_kws_alibaba
    tiny_vww_alibaba mnist8_cntk mnist_mlp_bn mnist14_tiny_cnn tflm_hello_sine velardo_mfcc_mlp
    factorio_mnist5x5_f32 dory_tcn dory_eegnet dory_frontnet mnist_gru bidi_lstm_textseg
    qtdnn_int8 factorio_mnist5x5_dynq tiny_kws_dscnn_int8_qdq tiny_resnet8_int8_qdq tiny_ad_int8_qdq
    tiny_vww_mbv1_int8_qdq)
if(NOT EXISTS ${SHARED}/realmodels)
  message(STATUS "../shared/realmodels not present; skipping")
  cmake_language(EXIT 77)
endif()
set(dirs)
foreach(m ${models})
  list(APPEND dirs ${SHARED}/realmodels/${m})
endforeach()
execute_process(COMMAND ${TINYAOT} verify ${dirs} -j 2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tinyaot verify failed on real models (exit ${rc})")
endif()
