# chorus_module(NAME SOURCES... DEPS ...): one static library per module,
# included by project-rooted path ("chorus/chat/hub.hpp").
function(chorus_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(chorus_${name} STATIC ${M_SOURCES})
  target_include_directories(chorus_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(chorus_${name} PUBLIC ${M_DEPS} PRIVATE chorus_warnings)
endfunction()

# chorus_test(NAME SOURCES... DEPS ... LABELS ...): a GoogleTest binary run by ctest.
function(chorus_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main chorus_warnings)
  # Discovered when ctest runs, so that tests chosen by the environment
  # (CHORUS_TEST_POSTGRES) are listed.
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60 DISCOVERY_MODE PRE_TEST)
endfunction()
