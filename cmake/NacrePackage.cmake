# Installation and the CMake package of Nacre (find_package(nacre CONFIG)).
#
# Installs libnacre (versioned, SOVERSION = major version), the public
# headers include/nacre/*, and <libdir>/cmake/nacre/ with
#   nacreTargets.cmake        exported targets nacre::nacre (and nacre::h5fd with HDF5)
#   nacreConfig.cmake         finds MPI and Threads, then includes the targets
#   nacreConfigVersion.cmake  same-major compatibility
# libnacre links tomlplusplus privately; as it is a shared library, its
# consumers need neither toml++ nor its headers.
include(CMakePackageConfigHelpers)

set(NACRE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/nacre
    CACHE STRING "Where the nacre CMake package files are installed (relative to the prefix)")

install(TARGETS nacre EXPORT nacreTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT nacre_runtime
          NAMELINK_COMPONENT nacre_development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT nacre_development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT nacre_runtime)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/nacre
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT nacre_development
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

install(EXPORT nacreTargets
  NAMESPACE nacre::
  FILE nacreTargets.cmake
  DESTINATION ${NACRE_INSTALL_CMAKEDIR} COMPONENT nacre_development)

# nacre::h5fd (libnacre_h5fd) is exported when it was built; its interface
# names parallel HDF5 through pkg-config, which nacreConfig then looks for.
get_property(NACRE_HAVE_H5FD GLOBAL PROPERTY NACRE_HAVE_H5FD)
if(NOT NACRE_HAVE_H5FD)
  set(NACRE_HAVE_H5FD OFF)
endif()

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/nacreConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/nacreConfig.cmake
  INSTALL_DESTINATION ${NACRE_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/nacreConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)  # matches the SOVERSION (the major version)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/nacreConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/nacreConfigVersion.cmake
  DESTINATION ${NACRE_INSTALL_CMAKEDIR} COMPONENT nacre_development)
