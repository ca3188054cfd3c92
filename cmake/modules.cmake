# portkit_module(NAME SOURCES ... DEPENDS ...): the static library portkit_NAME of one module
# (src/NAME/, public headers in include/portkit/NAME/), linking the modules it may call.
#
# portkit_layering_check(): links each module again as a shared library from the same objects,
# against only the modules it declares, with -z defs. A call into an undeclared module (or an
# upward one, which would make a cycle) is then an undefined symbol at link time. Only links:
# nothing is compiled twice. The static libraries are what the CLI and tests link.

option(PORTKIT_LAYERING_CHECK "Fail the build when a module calls a module it does not declare" ON)
option(PORTKIT_PCH "Precompile the heavy third-party headers" ON)
# Compiled in batches: Asio's and fmt's templates are instantiated once per batch instead of
# once per file (CI builds the library three times).
option(PORTKIT_UNITY "Compile each module in batches" ON)
set(PORTKIT_UNITY_BATCH 8 CACHE STRING "Files per batch")

function(portkit_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  set(target portkit_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${target} PUBLIC portkit_${dep})
  endforeach()
  # Position-independent so the layering check can link the same objects into a shared library.
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON
                        UNITY_BUILD ${PORTKIT_UNITY} UNITY_BUILD_BATCH_SIZE ${PORTKIT_UNITY_BATCH}
                        PORTKIT_DEPENDS "${ARG_DEPENDS}")
  # Shadowed names and silent narrowing are errors in the library (g++: clang's -Wconversion
  # also means -Wsign-conversion, which this code does not aim at).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow -Wconversion)
  endif()
  # Asio, fmt and nlohmann-json are header-only and most of each translation unit's compile
  # time: one precompiled header, made once by the first module and reused by the others.
  if(PORTKIT_PCH)
    get_property(pch_owner GLOBAL PROPERTY PORTKIT_PCH_OWNER)
    if(NOT pch_owner)
      target_precompile_headers(${target} PRIVATE <asio/io_context.hpp> <asio/steady_timer.hpp>
                                <asio/ip/tcp.hpp> <fmt/format.h> <nlohmann/json.hpp> <string>
                                <vector>)
      set_property(GLOBAL PROPERTY PORTKIT_PCH_OWNER ${target})
    else()
      target_precompile_headers(${target} REUSE_FROM ${pch_owner})
    endif()
  endif()
  set_property(GLOBAL APPEND PROPERTY PORTKIT_MODULES ${name})
  set(PORTKIT_MODULE_TARGETS ${PORTKIT_MODULE_TARGETS} ${target} PARENT_SCOPE)
endfunction()

function(portkit_layering_check)
  # Sanitizer and fuzzer runtimes resolve their symbols from the executable only.
  if(NOT PORTKIT_LAYERING_CHECK OR PORTKIT_SANITIZE OR PORTKIT_FUZZ)
    return()
  endif()
  get_property(modules GLOBAL PROPERTY PORTKIT_MODULES)
  foreach(name IN LISTS modules)
    set(check portkit_layering_${name})
    add_library(${check} SHARED $<TARGET_OBJECTS:portkit_${name}>)
    set_target_properties(${check} PROPERTIES LIBRARY_OUTPUT_DIRECTORY
                          ${PROJECT_BINARY_DIR}/layering)
    target_link_options(${check} PRIVATE -Wl,-z,defs)
    get_target_property(links portkit_${name} LINK_LIBRARIES)
    foreach(link IN LISTS links)
      if(link MATCHES "^portkit_(.*)$")
        target_link_libraries(${check} PRIVATE portkit_layering_${CMAKE_MATCH_1})
      elseif(link STREQUAL YAML_CPP_STATIC_LIBRARY)
        # Debian's static yaml-cpp is not position-independent; the shared one has the same
        # symbols.
        target_link_libraries(${check} PRIVATE yaml-cpp)
      elseif(link)
        target_link_libraries(${check} PRIVATE ${link})
      endif()
    endforeach()
  endforeach()
endfunction()
