# cmake/wegauge_package.cmake: the Debian package, built with
# `cpack -G DEB` (or `cpack`) in a configured and built tree. It holds what
# `cmake --install` installs (cmake/wegauge_install.cmake) under /usr, plus
# /etc/wegauge/wegauged.conf as a conffile, and the maintainer scripts of
# packaging/: postinst creates the user (systemd-sysusers) and the
# directories (systemd-tmpfiles --create) and reloads systemd where it runs,
# never enables or starts the service; prerm stops it on remove; postrm
# purge removes /var/lib/wegauge. Dependencies on shared libraries are
# computed by dpkg-shlibdeps (dpkg-dev).
#
# Include after every install() rule of the project: include(CPack) reads
# the variables set here and writes CPackConfig.cmake.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wegauge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR wegauge)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "collector of WebEngage feature utilization into SQLite")
set(CPACK_PACKAGE_DESCRIPTION
    "wegauged pulls feature-level utilization from WebEngage workspaces (channel statistics, \
campaigns, active users, team seats) into a SQLite store, as a hardened systemd notify service. \
wegauge reports workspace status, feature usage, seat utilization and the pull log from that store.")
set(WEGAUGE_DEB_MAINTAINER "wegauge maintainers <wegauge@localhost>" CACHE STRING
    "The Maintainer: field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${WEGAUGE_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${WEGAUGE_DEB_MAINTAINER}")

# Everything under /usr, whatever prefix the tree was configured with; the
# install script and the systemd directories follow it (wegauge_install.cmake).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from dpkg-shlibdeps; systemd for systemd-sysusers and
# systemd-tmpfiles in postinst (and to run the service at all).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")

# Maintainer scripts and the conffile list; dpkg wants 0755 scripts and a
# 0644 conffiles.
set(_wegauge_conffiles ${CMAKE_BINARY_DIR}/packaging/conffiles)
file(WRITE ${_wegauge_conffiles} "${WEGAUGE_CONFDIR}/wegauged.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/prerm
    ${PROJECT_SOURCE_DIR}/packaging/postrm
    ${_wegauge_conffiles})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
