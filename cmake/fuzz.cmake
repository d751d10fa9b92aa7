# cmake/fuzz.cmake: the two sanitizer builds that are not the everyday one.
# Included at the end of CMakeLists.txt, once every target exists, so it
# changes the targets themselves rather than the directory's flags.
#
# DBB_FUZZ (clang only): the libFuzzer harnesses of tests/fuzz/fuzz_*.c,
# linked with -fsanitize=fuzzer,address,undefined against the library
# compiled with -fsanitize=fuzzer-no-link,address,undefined, so that the
# parsers report coverage and every overflow, leak or undefined behaviour is
# a crash. One executable per harness, and a target `fuzz` that builds them
# all. scripts/fuzz.sh drives them.
#
#   CC=clang cmake -S . -B build-fuzz -DDBB_FUZZ=ON && cmake --build build-fuzz --target fuzz
#
# DBB_TSAN: the whole program (library, daemon, unit tests) built with
# ThreadSanitizer, for scripts/tsan.sh. Works with gcc and clang.
#
#   cmake -S . -B build-tsan -DDBB_TSAN=ON && cmake --build build-tsan

option(DBB_FUZZ "Build the libFuzzer harnesses of tests/fuzz (needs clang)" OFF)
option(DBB_TSAN "Build everything with ThreadSanitizer" OFF)

if(DBB_TSAN AND (DBB_SANITIZE OR DBB_FUZZ))
  message(FATAL_ERROR "DBB_TSAN cannot be combined with DBB_SANITIZE or DBB_FUZZ: "
                      "ThreadSanitizer and AddressSanitizer exclude each other")
endif()

if(DBB_TSAN)
  # PUBLIC: the daemon and the unit tests that link dbbcore are compiled and
  # linked with the same flags. -O1 keeps the run time bearable; frame
  # pointers keep the reports' stacks whole.
  set(DBB_TSAN_FLAGS -fsanitize=thread -fno-omit-frame-pointer -g -O1)
  target_compile_options(dbbcore PUBLIC ${DBB_TSAN_FLAGS})
  target_link_options(dbbcore PUBLIC -fsanitize=thread)
endif()

if(DBB_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "DBB_FUZZ needs clang (libFuzzer): configure with CC=clang")
  endif()
  if(DBB_SANITIZE)
    message(FATAL_ERROR "DBB_FUZZ brings its own sanitizers: leave DBB_SANITIZE off")
  endif()

  # Extra flags go last, so they can take back a check while a known finding
  # awaits its fix, to see what lies past it:
  #   -DDBB_FUZZ_EXTRA_FLAGS=-fno-sanitize=pointer-overflow
  set(DBB_FUZZ_EXTRA_FLAGS "" CACHE STRING "Appended to the fuzz build's flags")
  separate_arguments(DBB_FUZZ_EXTRA_LIST UNIX_COMMAND "${DBB_FUZZ_EXTRA_FLAGS}")
  set(DBB_FUZZ_SANITIZERS address,undefined)
  set(DBB_FUZZ_COMMON_FLAGS -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
      ${DBB_FUZZ_EXTRA_LIST})
  target_compile_options(dbbcore PRIVATE
                         -fsanitize=fuzzer-no-link,${DBB_FUZZ_SANITIZERS}
                         ${DBB_FUZZ_COMMON_FLAGS})
  # Whatever else links the instrumented library (the daemon, the unit
  # tests) needs the sanitizer runtimes, which also provide the coverage
  # callbacks' defaults.
  target_link_options(dbbcore INTERFACE -fsanitize=${DBB_FUZZ_SANITIZERS})

  add_custom_target(fuzz)
  file(GLOB DBB_FUZZ_HARNESSES CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
  foreach(harness_source ${DBB_FUZZ_HARNESSES})
    get_filename_component(harness_name ${harness_source} NAME_WE)
    add_executable(${harness_name} ${harness_source})
    target_include_directories(${harness_name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz)
    target_compile_options(${harness_name} PRIVATE ${DBB_WARNINGS}
                           -fsanitize=fuzzer,${DBB_FUZZ_SANITIZERS}
                           ${DBB_FUZZ_COMMON_FLAGS})
    target_link_options(${harness_name} PRIVATE
                        -fsanitize=fuzzer,${DBB_FUZZ_SANITIZERS})
    target_link_libraries(${harness_name} PRIVATE dbbcore)
    add_dependencies(fuzz ${harness_name})
  endforeach()
endif()
