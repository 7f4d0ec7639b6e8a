# cmake/wegauge_systemd_dirs.cmake: where the systemd unit, the sysusers.d
# and the tmpfiles.d entries are installed.
#
# The directories come from systemd's pkg-config file (systemd.pc, in the
# Debian package systemd): systemdsystemunitdir, sysusersdir, tmpfilesdir.
# They are asked with prefix set to a placeholder, so a directory that
# systemd defines under its prefix (sysusersdir is ${prefix}/lib/sysusers.d)
# becomes relative and follows the install prefix at install time (also
# CPack's /usr), while one that systemd places outside any prefix (Debian
# 12's unit directory /lib/systemd/system) stays absolute. Without
# pkg-config's answer the fallbacks are lib/systemd/system, lib/sysusers.d
# and lib/tmpfiles.d under the prefix, where systemd also looks. Each is a
# cache variable a packager may set.
#
# Sets WEGAUGE_SYSTEMD_UNITDIR, WEGAUGE_SYSUSERSDIR, WEGAUGE_TMPFILESDIR.

set(_wegauge_placeholder "/@WEGAUGE_PREFIX@")

# The pkg-config variable var of systemd into out, made relative when it
# lies under the placeholder prefix; fallback when unknown.
function(wegauge_systemd_dir out var fallback)
  set(_dir "")
  if(PKG_CONFIG_EXECUTABLE)
    execute_process(
      COMMAND ${PKG_CONFIG_EXECUTABLE} --define-variable=prefix=${_wegauge_placeholder}
              --variable=${var} systemd
      OUTPUT_VARIABLE _dir OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_QUIET RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      set(_dir "")
    endif()
  endif()
  if(_dir STREQUAL "")
    set(_dir "${fallback}")
  elseif(_dir MATCHES "^${_wegauge_placeholder}/(.*)$")
    set(_dir "${CMAKE_MATCH_1}")
  endif()
  set(${out} "${_dir}" PARENT_SCOPE)
endfunction()

wegauge_systemd_dir(_unitdir systemdsystemunitdir lib/systemd/system)
wegauge_systemd_dir(_sysusersdir sysusersdir lib/sysusers.d)
wegauge_systemd_dir(_tmpfilesdir tmpfilesdir lib/tmpfiles.d)
set(WEGAUGE_SYSTEMD_UNITDIR "${_unitdir}" CACHE STRING
    "systemd system unit directory (relative: under the install prefix)")
set(WEGAUGE_SYSUSERSDIR "${_sysusersdir}" CACHE STRING
    "sysusers.d directory (relative: under the install prefix)")
set(WEGAUGE_TMPFILESDIR "${_tmpfilesdir}" CACHE STRING
    "tmpfiles.d directory (relative: under the install prefix)")
