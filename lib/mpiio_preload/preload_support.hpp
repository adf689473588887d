// libnacre_mpiio.so: MPI-IO on Nacre for unmodified programs, through the MPI
// profiling interface (see README.md).
//
// MPI_Init / MPI_Init_thread: PMPI_Init_thread (MPI_THREAD_MULTIPLE when
// Nacre is configured, see thread_level_to_ask), then, if NACRE_ADDRESS or
// NACRE_CONFIG is set, Runtime::connect(MPI_COMM_WORLD) (collective); a
// failure prints the error and aborts the job (never hangs).
// MPI_Finalize: Runtime::shutdown (collective), then PMPI_Finalize.
// MPI_File_open with a name "nacre:/abs/path": a Nacre MpiFile, returned as a
// fake MPI_File (a pointer to our own NacreFile, kept in a registry). Every
// MPI_File_* defined here checks the registry first; handles it does not
// know are passed to PMPI_File_*.
//
// Every entry point catches everything: no exception leaves this library.
// Errors are MPI error classes; Nacre's message is printed to stderr once
// (for collectives: by rank 0 of the file's communicator only, since every
// rank receives the same Status).
#pragma once

#include "mpiio_file/mpi_file.hpp"

#include <nacre/config.hpp>
#include <nacre/runtime.hpp>

#include <mpi.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#define NACRE_EXPORT extern "C" __attribute__((visibility("default")))

// Shared state and helpers of the wrappers (defined in preload_support.cpp).
namespace nacre_preload {

constexpr const char* kPrefix = "nacre:";
constexpr uint64_t kMagic = 0x4e41435245465031ull;  // "NACREFP1"

struct NacreFile {
  uint64_t magic = kMagic;
  nacre::mpiio::MpiFile mf;
  MPI_Errhandler errhandler = MPI_ERRORS_RETURN;
  int rank = 0;  // in the file's communicator
};

enum class Op { read_at, write_at, read_at_all, write_at_all, read, write, read_all, write_all };

extern nacre::Runtime* g_runtime;   // leaked on purpose: no collective at exit
extern std::string g_runtime_error;  // why there is no runtime (for open)

NacreFile* lookup(MPI_File fh);
MPI_File register_file(NacreFile* f);
void unregister_file(NacreFile* f);
std::size_t open_file_count();
int world_rank();
int error_class(int code, bool datarep_context = false);
void print_error(const char* fn, const std::string& msg);
int fail(NacreFile* f, const char* fn, const nacre::Status& s, bool collective, bool datarep_context = false);
int internal_error(const char* fn);
void set_status(MPI_Status* status, int64_t bytes);
bool is_nacre_name(const char* name);
void connect_after_init();
// The thread level MPI_Init / MPI_Init_thread ask MPI for: MPI_THREAD_MULTIPLE
// when Nacre will connect (NACRE_ADDRESS or NACRE_CONFIG set), so the client
// runs its lock progress thread and caches under locks, unless
// NACRE_MPI_THREAD_MULTIPLE=0; otherwise `required` (the application's).
int thread_level_to_ask(int required);
bool op_collective(Op op);
int data_call(const char* fn, NacreFile* f, Op op, MPI_Offset offset, void* buf, int count, MPI_Datatype type, MPI_Status* status);
int grequest_query(void* extra, MPI_Status* status);
int grequest_free(void* extra);
int grequest_cancel(void*, int);
int completed_request(int64_t bytes, MPI_Request* request);
int nonblocking_call(const char* fn, NacreFile* f, Op op, MPI_Offset offset, void* buf, int count, MPI_Datatype type, MPI_Request* request);

}  // namespace nacre_preload

// Entry-point helpers: NACRE_TRY ... NACRE_CATCH(name) wraps a body so that no
// exception escapes.
#define NACRE_TRY try {
#define NACRE_CATCH(fn)                                                                   \
  }                                                                                        \
  catch (...) {                                                                            \
    return internal_error(fn);                                                             \
  }
