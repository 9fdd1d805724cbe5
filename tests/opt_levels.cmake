# The -O0 side of "every case gives the same verification result at -O0 and -O2": runs
# `tinyaot verify -O0` over ../shared/realmodels, the zoo and the ONNX node conformance suite
# (same skip and known-failure lists as conformance:node). The -O2 side is the default of the
# realmodels:verify, zoo:* and conformance:node tests, which require every in-scope case to pass;
# so both levels passing every case means equal results. Real models are skipped when absent.
set(dirs ${ZOO} ${NODE_SUITE})
if(EXISTS ${SHARED}/realmodels)
  file(GLOB real ${SHARED}/realmodels/*)
  foreach(d ${real})
    # bidi_lstm_textseg has a free sequence length; realmodels:verify specialises it from the
    # test data, as this run does (verify's default).
    if(IS_DIRECTORY ${d})
      list(APPEND dirs ${d})
    endif()
  endforeach()
endif()
execute_process(COMMAND ${TINYAOT} verify -O0 ${dirs} -j 2 --skip-list ${SKIP} --known-failures ${KNOWN}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tinyaot verify -O0 failed (exit ${rc})")
endif()
