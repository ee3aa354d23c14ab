# Shared build rules: warnings, sanitizers, and the one-library-per-module shape.
#
#   hotline_module(<name> [DEPS <targets>...] [PUBLIC_DEPS <targets>...]
#                  [EXCLUDE <files>...] [TEST_PROPERTIES <prop> <value>...])
#
# builds every *.cpp below the calling directory into the library
# `hotline_<name>` (alias hotline::<name>), except *_test.cpp (collected into the
# `<name>_tests` GoogleTest executable, registered with CTest), *_fuzz.cpp (libFuzzer
# targets, built only with HOTLINE_FUZZ) and *_bench.cpp (Google Benchmark,
# `<name>_bench`). EXCLUDE names sources (relative to the directory) kept out of the
# library, e.g. an executable's main. TEST_PROPERTIES are added to every discovered
# test (fixtures, environment). Dependencies between modules are declared here and only here, so
# the layering of DESIGN.md is enforced by the link graph.

add_library(hotline_build_flags INTERFACE)
target_compile_options(hotline_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
  # -Wnull-dereference is left out: at -O2 it fires inside Boost.Asio headers.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-dangling-reference>)
if(HOTLINE_WERROR)
  target_compile_options(hotline_build_flags INTERFACE -Werror)
endif()
if(HOTLINE_SANITIZE)
  string(REPLACE "," ";" _san_list "${HOTLINE_SANITIZE}")
  target_compile_options(hotline_build_flags INTERFACE
    -fsanitize=${HOTLINE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(hotline_build_flags INTERFACE -fsanitize=${HOTLINE_SANITIZE})
endif()

function(hotline_module name)
  cmake_parse_arguments(M "" "" "DEPS;PUBLIC_DEPS;EXCLUDE;TEST_PROPERTIES" ${ARGN})
  set(_excluded "")
  foreach(f IN LISTS M_EXCLUDE)
    list(APPEND _excluded ${CMAKE_CURRENT_SOURCE_DIR}/${f})
  endforeach()
  file(GLOB_RECURSE _all CONFIGURE_DEPENDS
    ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(_src "")
  set(_tests "")
  set(_fuzz "")
  set(_bench "")
  foreach(f IN LISTS _all)
    if(f IN_LIST _excluded)
      continue()
    elseif(f MATCHES "_test\\.cpp$")
      list(APPEND _tests ${f})
    elseif(f MATCHES "_fuzz\\.cpp$")
      list(APPEND _fuzz ${f})
    elseif(f MATCHES "_bench\\.cpp$")
      list(APPEND _bench ${f})
    else()
      list(APPEND _src ${f})
    endif()
  endforeach()

  set(lib hotline_${name})
  if(_src)
    add_library(${lib} STATIC ${_src})
    target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${lib} PUBLIC ${M_PUBLIC_DEPS} hotline_build_flags PRIVATE ${M_DEPS})
  else()
    add_library(${lib} INTERFACE)
    target_include_directories(${lib} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${lib} INTERFACE ${M_PUBLIC_DEPS} ${M_DEPS} hotline_build_flags)
  endif()
  add_library(hotline::${name} ALIAS ${lib})

  if(_tests)
    add_executable(${name}_tests ${_tests})
    target_link_libraries(${name}_tests PRIVATE ${lib} ${M_DEPS} ${M_PUBLIC_DEPS}
      hotline_test_support GTest::gmock GTest::gtest GTest::gtest_main hotline_build_flags)
    gtest_discover_tests(${name}_tests
      TEST_PREFIX "${name}."
      DISCOVERY_MODE PRE_TEST
      DISCOVERY_TIMEOUT 60
      PROPERTIES LABELS unit ENVIRONMENT "HOTLINE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
        ${M_TEST_PROPERTIES})
  endif()

  if(_bench AND HOTLINE_BENCH)
    add_executable(${name}_bench ${_bench})
    target_link_libraries(${name}_bench PRIVATE ${lib} ${M_DEPS} ${M_PUBLIC_DEPS}
      benchmark::benchmark hotline_build_flags)
  endif()

  if(_fuzz AND HOTLINE_FUZZ)
    foreach(f IN LISTS _fuzz)
      get_filename_component(_fname ${f} NAME_WE)
      add_executable(${_fname} ${f})
      target_compile_options(${_fname} PRIVATE -fsanitize=fuzzer)
      target_link_options(${_fname} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(${_fname} PRIVATE ${lib} ${M_DEPS} ${M_PUBLIC_DEPS} hotline_build_flags)
    endforeach()
  endif()
endfunction()
