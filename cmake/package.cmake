# What `cmake --install` puts where, and the Debian package CPack makes of it
# (`cpack -G DEB` in a build tree; scripts/test-package builds, lints and installs it).
# Generated at build time: the completion scripts (by the portkit just built, from its own
# command definitions) and the compressed man page and changelog Debian policy asks for.
set(generated "${PROJECT_BINARY_DIR}/generated")
set(completions "${generated}/portkit.bash" "${generated}/_portkit" "${generated}/portkit.fish")
add_custom_command(
  OUTPUT ${completions}
  COMMAND portkit_cli completion bash > "${generated}/portkit.bash"
  COMMAND portkit_cli completion zsh > "${generated}/_portkit"
  COMMAND portkit_cli completion fish > "${generated}/portkit.fish"
  DEPENDS portkit_cli
  COMMENT "Writing the shell completion scripts")
add_custom_command(
  OUTPUT "${generated}/portkit.1.gz" "${generated}/changelog.gz"
  COMMAND gzip -9n -c "${PROJECT_SOURCE_DIR}/docs/portkit.1" > "${generated}/portkit.1.gz"
  COMMAND gzip -9n -c "${PROJECT_SOURCE_DIR}/deploy/debian/changelog" > "${generated}/changelog.gz"
  DEPENDS "${PROJECT_SOURCE_DIR}/docs/portkit.1" "${PROJECT_SOURCE_DIR}/deploy/debian/changelog"
  COMMENT "Compressing the man page and changelog")
file(MAKE_DIRECTORY "${generated}")
add_custom_target(portkit_install_files ALL
  DEPENDS ${completions} "${generated}/portkit.1.gz" "${generated}/changelog.gz")

install(TARGETS portkit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES "${generated}/portkit.1.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES "${generated}/portkit.bash"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME portkit)
install(FILES "${generated}/_portkit" DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES "${generated}/portkit.fish"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES deploy/debian/copyright "${generated}/changelog.gz"
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/prometheus/portkit-rules.yml deploy/prometheus/portkit-rules.test.yml
              deploy/grafana/portkit-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Debian 12 keeps units in /lib/systemd/system (its /usr merge moves them later), and its
# defaults files in /etc/default, as a conffile the administrator's edits survive upgrades in.
install(FILES deploy/systemd/portkit-exporter.service DESTINATION /lib/systemd/system)
install(FILES deploy/systemd/portkit-exporter.default DESTINATION /etc/default
        RENAME portkit-exporter)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME portkit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "portkit maintainers <maintainers@users.noreply.b-seed-3bfc69e0.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "every port task in one tool: sockets, scans, forwarding, audits")
# The extended description (CPack puts the summary above it as the synopsis).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "portkit replaces ss, netstat, lsof, fuser, nc, nmap, socat, wait-for-it,
kill-port and an exporter for the port tasks of a DevOps engineer: what a
port or service means (lookup), this host's ranges, its sockets and their
owners (ls, who, stats), reachability (check, wait), test servers (listen),
connect and SYN scans with host discovery (scan), TCP and UDP forwarding
(forward), free ports (free), exposure audits of the host and of compose and
Kubernetes files (audit), and Prometheus metrics (exporter, with a systemd
unit).")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/deploy/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
