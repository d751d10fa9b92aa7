# cmake/install.cmake: what `cmake --install` puts in place, and the Debian
# package `cpack -G DEB` makes of it. Included at the end of CMakeLists.txt.
#
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   cmake --install build [--prefix /usr]     # or:
#   (cd build && cpack -G DEB) && apt install ./build/dbbackupfs_*.deb

include(GNUInstallDirs)

set(DBB_SYSTEMD_USER_UNIT_DIR "lib/systemd/user" CACHE STRING
    "Where the systemd user unit goes (relative to the prefix)")
set(DBB_PACKAGE_MAINTAINER "dbbackupfs maintainers <maintainers@dbbackupfs.invalid>"
    CACHE STRING "The Maintainer field of the Debian package")

install(TARGETS dbbackupfs RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# mount(8) runs /sbin/mount.fuse.TYPE for `-t fuse.TYPE` and fstab lines.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/contrib/mount.fuse.dbbackupfs
        DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/man/dbbackupfs.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/man/dbbackupfs.conf.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/dbbackupfs.service
        DESTINATION ${DBB_SYSTEMD_USER_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/contrib/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME MOUNTING.md)

# The Debian package: dbbackupfs_<version>_<arch>.deb, installed under /usr;
# the shared libraries' packages come from dpkg-shlibdeps (dpkg-dev).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dbbackupfs)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${DBB_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "FUSE file system showing cloud database backups as files")
set(CPACK_PACKAGE_DESCRIPTION "\
dbbackupfs shows the backups of managed cloud databases (NAVER Cloud, Huawei
Cloud, ZStack) as an ordinary directory tree: a directory per configured
profile and database instance, a file per backup, the provider's metadata in
extended attributes. ls, stat, getfattr, cp and file managers work on it;
where the provider can, mkdir asks for a manual backup and a control file
exports a backup to object storage. Mount it with mount -t fuse.dbbackupfs,
from /etc/fstab, or with the systemd user unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# fusermount3 and mount.fuse3; the libraries are added by dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_DEPENDS fuse3)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
