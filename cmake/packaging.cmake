# The Debian package (TUNECTL_DEB=ON; scripts/build-deb, then `cpack -G DEB`; docs/packaging.md):
# the files only the package installs (man pages, /etc/tunectl/profiles, copyright, changelog) and
# its control data. Dependencies are computed, never listed by hand: dpkg-shlibdeps for the binary
# and the Python extension, the Python ABI from the interpreter the extension was built for.
option(TUNECTL_DEB "Configure the Debian package (cpack -G DEB): prefix /usr, no test switch" OFF)
if(NOT TUNECTL_DEB)
  return()
endif()

# The built-in profile dir is compiled in from the prefix, and the Python package must be where
# Debian's own python3 looks (`sysconfig`'s deb_system scheme), not in /usr/local's dist-packages.
execute_process(COMMAND ${Python3_EXECUTABLE} -c "import sysconfig; print(sysconfig.get_path('purelib', 'deb_system'))"
                OUTPUT_VARIABLE tunectl_deb_pydir OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
# The binary links the system's shared libraries (TUNECTL_STATIC_CLI=OFF), as Debian's policy asks,
# so that their security updates reach it.
if(TUNECTL_TEST_SWITCHES OR TUNECTL_STATIC_CLI OR NOT TUNECTL_PYTHON OR NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr"
   OR NOT "/usr/${TUNECTL_PYTHON_INSTALL_DIR}" STREQUAL tunectl_deb_pydir)
  message(FATAL_ERROR "TUNECTL_DEB needs -DTUNECTL_TEST_SWITCHES=OFF -DTUNECTL_STATIC_CLI=OFF -DTUNECTL_PYTHON=ON -DCMAKE_INSTALL_PREFIX=/usr "
                      "-DTUNECTL_PYTHON_INSTALL_DIR=${tunectl_deb_pydir} (scripts/build-deb sets them)")
endif()

set(tunectl_deb_dir ${CMAKE_BINARY_DIR}/deb)
set(tunectl_deb_src ${CMAKE_SOURCE_DIR}/packaging/debian)

# --- man pages: help2man on the built binary, one page for tunectl and one per verb of cli/verbs.def
find_program(HELP2MAN help2man REQUIRED)
file(STRINGS ${CMAKE_SOURCE_DIR}/cli/verbs.def tunectl_verb_lines REGEX "^TUNECTL_VERB\\(")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cli/verbs.def)
list(TRANSFORM tunectl_verb_lines REPLACE "^TUNECTL_VERB\\(([a-z_]+).*" "\\1" OUTPUT_VARIABLE tunectl_verbs)
list(JOIN tunectl_verbs "," tunectl_verbs_csv)
set(tunectl_man_pages)
foreach(verb "" ${tunectl_verbs})
  set(out ${tunectl_deb_dir}/man/tunectl.1.gz)
  if(verb)
    set(out ${tunectl_deb_dir}/man/tunectl-${verb}.1.gz)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN} -DTUNECTL=$<TARGET_FILE:tunectl> -DVERB=${verb} -DVERBS=${tunectl_verbs_csv}
            -DVERSION=${PROJECT_VERSION} -DOUT=${out} -P ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
    DEPENDS tunectl ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake VERBATIM)
  list(APPEND tunectl_man_pages ${out})
endforeach()

# --- the Debian changelog of this native package (version from project()), compressed as lintian wants
string(TIMESTAMP tunectl_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)  # SOURCE_DATE_EPOCH when set
set(TUNECTL_DEB_MAINTAINER "tunectl maintainers <tunectl-maintainers@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
configure_file(${tunectl_deb_src}/changelog.in ${tunectl_deb_dir}/changelog @ONLY)
add_custom_command(OUTPUT ${tunectl_deb_dir}/changelog.gz
  COMMAND gzip -9nf ${tunectl_deb_dir}/changelog
  DEPENDS ${tunectl_deb_dir}/changelog VERBATIM)
add_custom_target(tunectl_deb_files ALL DEPENDS ${tunectl_man_pages} ${tunectl_deb_dir}/changelog.gz)

install(FILES ${tunectl_man_pages} DESTINATION share/man/man1)
install(FILES ${tunectl_deb_src}/copyright ${tunectl_deb_dir}/changelog.gz DESTINATION share/doc/tunectl)
# The site profile dir, empty and root's: tunectl refuses a profile dir others can write to.
install(DIRECTORY DESTINATION /etc/tunectl/profiles
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# The boot unit comes from CMakeLists.txt's install rule (PREFIX/lib/systemd/system); the package
# ships it and enables nothing: `tunectl apply --persist` is the operator's opt-in.

# Stripped as dh_strip does: the binary and the Python extension (installed as a plain file, which
# CPACK_STRIP_FILES would not strip). Runs after the install rules above, in the staging dir.
install(CODE "foreach(f \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin/tunectl\"
                       \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${TUNECTL_PYTHON_INSTALL_DIR}/tunectl/$<TARGET_FILE_NAME:_tunectl>\")
  execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note --strip-unneeded \"\${f}\"
                  COMMAND_ERROR_IS_FATAL ANY)
endforeach()")

# --- control data -----------------------------------------------------------------------------
# The extension's ABI is this interpreter's X.Y, as dh_python3 writes it: >= X.Y~, << X.(Y+1).
math(EXPR tunectl_py_next "${Python3_VERSION_MINOR} + 1")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tunectl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${TUNECTL_DEB_MAINTAINER}")
set(CPACK_SET_DESTDIR ON)  # /etc/tunectl/profiles is an absolute destination
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tunectl_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TUNECTL_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "benchmark-driven Linux kernel tuning toolkit")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "tunectl reads a host exactly (CPU/NUMA topology, NIC IRQs and queues, THP, TCP
and cgroup settings), applies a JSON tuning profile as a crash-safe transaction
it can always roll back, and measures with microbenchmarks whether it helped.
.
This package contains the tunectl command, its Python 3 module and the built-in
profiles.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}~), python3 (<< ${Python3_VERSION_MAJOR}.${tunectl_py_next})")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${tunectl_deb_src}/postinst ${tunectl_deb_src}/prerm
                                      ${tunectl_deb_src}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
