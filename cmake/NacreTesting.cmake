# Helpers to register tests with the labels and limits the project uses.
#
# nacre_add_mpi_test(<name> NP <ranks> COMMAND <exe> [args...]
#                    LABELS <capability labels...> [TIMEOUT <s>] [ENV <VAR=value>...])
#   Runs the command under mpirun with the flags this machine and CI need
#   (root, oversubscription, loopback-only TCP, yielding idle ranks). The test
#   is labelled "mpi" plus the given labels.
set(NACRE_MPIEXEC_PREFLAGS
    --allow-run-as-root --oversubscribe --bind-to none
    --mca btl self,vader,tcp
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo
    --mca mpi_yield_when_idle 1
    CACHE STRING "Flags mpirun gets in tests and benchmark jobs")

function(nacre_add_mpi_test name)
  cmake_parse_arguments(A "" "NP;TIMEOUT" "COMMAND;LABELS;ENV" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_test(NAME ${name}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${A_NP}
                   ${NACRE_MPIEXEC_PREFLAGS} ${A_COMMAND})
  set_tests_properties(${name} PROPERTIES
    LABELS "mpi;${A_LABELS}" TIMEOUT ${A_TIMEOUT} PROCESSORS 2
    ENVIRONMENT "${A_ENV}")
endfunction()

# nacre_add_script_test(<name> COMMAND <script> [args...] LABELS <labels...> [TIMEOUT <s>])
#   End-to-end shell scripts (they start and stop their own processes).
function(nacre_add_script_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "COMMAND;LABELS;ENV" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${A_COMMAND})
  set_tests_properties(${name} PROPERTIES
    LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT} PROCESSORS 2
    ENVIRONMENT "NACRE_BUILD_DIR=${PROJECT_BINARY_DIR};NACRE_SOURCE_DIR=${PROJECT_SOURCE_DIR};${A_ENV}")
endfunction()
