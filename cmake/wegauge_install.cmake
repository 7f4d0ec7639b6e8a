# cmake/wegauge_install.cmake: what `cmake --install` and the Debian
# package put where (GNUInstallDirs; systemd's directories from
# wegauge_systemd_dirs.cmake):
#
#   wegauged                  sbin                       (src/CMakeLists.txt)
#   wegauge                   bin                        (when it is built)
#   wesim                     bin                        (only with WEGAUGE_INSTALL_WESIM=ON)
#   wegauged.service          WEGAUGE_SYSTEMD_UNITDIR    (ExecStart names the installed wegauged)
#   sysusers.d/wegauge.conf   WEGAUGE_SYSUSERSDIR        (the user and group wegauge)
#   tmpfiles.d/wegauge.conf   WEGAUGE_TMPFILESDIR        (/etc/wegauge/keys 0750 root:wegauge, ...)
#   schema/*.sql              share/wegauge/schema
#   schema/pg/*.sql           share/wegauge/schema/pg
#   wegauge-alerts.yml        share/wegauge/prometheus   (Prometheus alert rules, packaging/prometheus)
#   wegauged.conf             /etc/wegauge               (unless one exists there)
#   examples                  share/doc/wegauge/examples (wegauged.conf, the notify-reload drop-in)
#   man pages                 share/man/manN             (when scdoc is found)
#
# /etc/wegauge is fixed, not derived from the prefix: it is the daemon's
# default -c path and the unit's ConfigurationDirectory=.

option(WEGAUGE_INSTALL_WESIM "Install the simulator wesim and its man page" OFF)
set(WEGAUGE_CONFDIR /etc/wegauge)

include(${PROJECT_SOURCE_DIR}/cmake/wegauge_systemd_dirs.cmake)
include(${PROJECT_SOURCE_DIR}/cmake/wegauge_man.cmake)

# Programs. wegauged's own rule is in src/CMakeLists.txt.
if(TARGET wegauge)
  install(TARGETS wegauge RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(WEGAUGE_INSTALL_WESIM)
  if(NOT TARGET wesim)
    message(FATAL_ERROR "WEGAUGE_INSTALL_WESIM=ON, but there is no wesim target (sim/*.c)")
  endif()
  install(TARGETS wesim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# systemd: the unit (by the install script below), sysusers.d, tmpfiles.d.
install(FILES ${PROJECT_SOURCE_DIR}/systemd/wegauged.sysusers
        DESTINATION ${WEGAUGE_SYSUSERSDIR} RENAME wegauge.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/wegauged.tmpfiles
        DESTINATION ${WEGAUGE_TMPFILESDIR} RENAME wegauge.conf)

# The schema files (also compiled into the programs), for operators.
file(GLOB _wegauge_schema CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/schema/*.sql)
install(FILES ${_wegauge_schema} DESTINATION ${CMAKE_INSTALL_DATADIR}/wegauge/schema)
# ... and the PostgreSQL series, for a DBA who creates the tables by hand.
file(GLOB _wegauge_pg_schema CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/schema/pg/*.sql)
install(FILES ${_wegauge_pg_schema} DESTINATION ${CMAKE_INSTALL_DATADIR}/wegauge/schema/pg)

# Prometheus alert rules, for operators to load (docs/operations.md).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/prometheus/wegauge-alerts.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/wegauge/prometheus)

# Examples.
install(FILES ${PROJECT_SOURCE_DIR}/systemd/wegauged.conf
              ${PROJECT_SOURCE_DIR}/systemd/wegauged.service.d/notify-reload.conf.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The unit with its ExecStart path, and /etc/wegauge/wegauged.conf.
configure_file(${PROJECT_SOURCE_DIR}/cmake/wegauge_install_script.cmake.in
               ${CMAKE_BINARY_DIR}/wegauge_install_script.cmake @ONLY)
install(SCRIPT ${CMAKE_BINARY_DIR}/wegauge_install_script.cmake)

# Man pages: those of programs that are installed.
foreach(_page IN LISTS WEGAUGE_MAN_PAGES)
  get_filename_component(_name ${_page} NAME)
  string(REGEX MATCH "[1-9]$" _section "${_name}")
  if((_name STREQUAL "wegauge.1" AND NOT TARGET wegauge) OR
     (_name STREQUAL "wesim.1" AND NOT WEGAUGE_INSTALL_WESIM))
    continue()
  endif()
  install(FILES ${_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section})
endforeach()
