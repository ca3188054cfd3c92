# Installs into a scratch DESTDIR (the unit and its defaults file have absolute destinations,
# /lib/systemd/system and /etc/default, which DESTDIR keeps off the real system) and checks
# that each artefact arrived.
file(REMOVE_RECURSE "${DESTDIR}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env "DESTDIR=${DESTDIR}"
                        ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix /usr
                RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${result}")
endif()
foreach(path usr/bin/portkit usr/share/man/man1/portkit.1.gz
             usr/share/bash-completion/completions/portkit usr/share/zsh/vendor-completions/_portkit
             usr/share/fish/vendor_completions.d/portkit.fish usr/share/doc/portkit/copyright
             usr/share/doc/portkit/changelog.gz usr/share/doc/portkit/examples/portkit-rules.yml
             lib/systemd/system/portkit-exporter.service etc/default/portkit-exporter)
  if(NOT EXISTS "${DESTDIR}/${path}")
    message(FATAL_ERROR "missing after install: ${path}")
  endif()
endforeach()
execute_process(COMMAND "${DESTDIR}/usr/bin/portkit" lookup 22 RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "installed portkit lookup 22 exited ${result}")
endif()
execute_process(COMMAND man -l -Tutf8 "${DESTDIR}/usr/share/man/man1/portkit.1.gz"
                RESULT_VARIABLE result OUTPUT_VARIABLE page ERROR_VARIABLE warnings)
if(NOT result EQUAL 0 OR NOT page MATCHES "lookup" OR warnings MATCHES "warning")
  message(FATAL_ERROR "man page does not render cleanly: ${result} ${warnings}")
endif()
