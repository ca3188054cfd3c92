# PORTKIT_COMMIT: the git commit a build is made from, for `portkit --version`. Read when CMake
# configures, and CMake configures again when HEAD or the branch it names moves, so a rebuild
# after a commit reports the new one. A build outside a git checkout (a source tarball) says
# "unknown" unless the packager passes -DPORTKIT_COMMIT=...
if(NOT DEFINED PORTKIT_COMMIT)
  set(PORTKIT_COMMIT "unknown")
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE commit
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
    if(NOT failed AND commit)
      set(PORTKIT_COMMIT "${commit}")
    endif()
    foreach(ref HEAD packed-refs)
      execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --git-path ${ref}
                      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE path
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      list(APPEND watched "${path}")
    endforeach()
    execute_process(COMMAND "${GIT_EXECUTABLE}" symbolic-ref -q HEAD
                    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE branch
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(branch)
      execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --git-path "${branch}"
                      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE path
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      list(APPEND watched "${path}")
    endif()
    foreach(path IN LISTS watched)
      if(NOT IS_ABSOLUTE "${path}")
        set(path "${PROJECT_SOURCE_DIR}/${path}")
      endif()
      if(EXISTS "${path}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${path}")
      endif()
    endforeach()
  endif()
endif()
