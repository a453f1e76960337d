# Helpers that give every module the same shape:
#   nova_add_library(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...] [INCLUDE_DIR dir])
#       -> target nova_<name>, alias nova::<name>; public headers under <dir>/include.
#   nova_add_unit_tests(<name> SOURCES ... [DEPS ...])
#       -> executable <name>_unit_tests; every doctest case becomes a CTest test labelled `unit`.
#   nova_add_integration_tests(<name> SOURCES ... [DEPS ...])
#       -> executable <name>_integration_tests; CTest label `integration` (needs scripts/services).
#   nova_add_executable(<name> SOURCES ... [DEPS ...])  -> a service binary, e.g. nova-api.

set(NOVA_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor)
if(NOVA_WERROR)
    list(APPEND NOVA_WARNINGS -Werror)
endif()

if(NOVA_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

function(nova_target_defaults target)
    target_compile_options(${target} PRIVATE ${NOVA_WARNINGS})
    target_compile_definitions(${target} PRIVATE SPDLOG_FMT_EXTERNAL BOOST_ASIO_NO_DEPRECATED)
endfunction()

# Tests find checked-in files (vectors, samples) through NOVA_SOURCE_DIR. Only test targets get
# it, so that library objects stay identical across checkouts and ccache can share them.
function(nova_test_defaults target)
    target_compile_definitions(${target} PRIVATE NOVA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

function(nova_add_library name)
    cmake_parse_arguments(ARG "" "INCLUDE_DIR" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
    if(NOT ARG_INCLUDE_DIR)
        set(ARG_INCLUDE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/include)
    endif()
    add_library(nova_${name} STATIC ${ARG_SOURCES})
    add_library(nova::${name} ALIAS nova_${name})
    target_include_directories(nova_${name} PUBLIC ${ARG_INCLUDE_DIR})
    target_link_libraries(nova_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    nova_target_defaults(nova_${name})
endfunction()

function(nova_add_unit_tests name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(${name}_unit_tests ${ARG_SOURCES})
    target_link_libraries(${name}_unit_tests PRIVATE nova::test_main ${ARG_DEPS})
    nova_target_defaults(${name}_unit_tests)
    nova_test_defaults(${name}_unit_tests)
    doctest_discover_tests(${name}_unit_tests
        TEST_PREFIX "${name}: "
        PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

function(nova_add_integration_tests name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    add_executable(${name}_integration_tests ${ARG_SOURCES})
    target_link_libraries(${name}_integration_tests PRIVATE nova::test_main nova::test_support ${ARG_DEPS})
    nova_target_defaults(${name}_integration_tests)
    nova_test_defaults(${name}_integration_tests)
    doctest_discover_tests(${name}_integration_tests
        TEST_PREFIX "${name}: "
        PROPERTIES LABELS integration TIMEOUT ${ARG_TIMEOUT})
endfunction()

function(nova_add_executable name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS})
    # A service binary records only the shared libraries it calls (DT_NEEDED): a library
    # named on the link line through a dependency but unused is not loaded at run time.
    target_link_options(${name} PRIVATE -Wl,--as-needed)
    nova_target_defaults(${name})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()
