# cmake/wegauge_man.cmake: the manual pages. Every docs/man/NAME.N.scd is
# turned by scdoc(1) into build/man/manN/NAME.N (a layout `man -M build/man`
# and MANPATH understand), as part of the default build, and installed into
# share/man/manN. Without scdoc the pages are skipped with a notice: the
# programs build and work without them (scripts/deps installs scdoc).
#
# Sets WEGAUGE_MAN_PAGES: the generated files, for tests and packaging.

find_program(SCDOC_EXECUTABLE scdoc)
set(WEGAUGE_MAN_PAGES "")
if(NOT SCDOC_EXECUTABLE)
  message(STATUS "scdoc not found: man pages are not built (install the Debian package scdoc)")
  return()
endif()

file(GLOB _wegauge_scd CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.scd)
foreach(_src IN LISTS _wegauge_scd)
  # wegauged.conf.5.scd -> page wegauged.conf.5, section 5
  get_filename_component(_file ${_src} NAME)
  string(REGEX REPLACE "\\.scd$" "" _page "${_file}")
  string(REGEX MATCH "[1-9]$" _section "${_page}")
  if(NOT _section)
    message(FATAL_ERROR "${_src}: expected a name NAME.SECTION.scd with a section 1 to 9")
  endif()
  # wegauge.1 and wesim.1 document programs that may not be built or
  # installed; their pages follow the programs (see wegauge_install.cmake).
  set(_out ${CMAKE_BINARY_DIR}/man/man${_section}/${_page})
  add_custom_command(
    OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man/man${_section}
    # scdoc reads stdin and writes stdout; write aside, then rename, so a
    # failed run never leaves a half page that counts as up to date.
    COMMAND sh -c "\"$0\" < \"$1\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\""
            ${SCDOC_EXECUTABLE} ${_src} ${_out}
    DEPENDS ${_src}
    COMMENT "scdoc ${_file}"
    VERBATIM)
  list(APPEND WEGAUGE_MAN_PAGES ${_out})
endforeach()
add_custom_target(man ALL DEPENDS ${WEGAUGE_MAN_PAGES})
