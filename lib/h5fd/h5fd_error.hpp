// Errors of the Nacre HDF5 driver go onto HDF5's error stack.
//
// Every HDF5 callback of the driver converts its failures here and returns
// HDF5's failure value; no exception leaves a callback. Messages are pushed
// under the error class "Nacre" (major "Nacre virtual file driver", minor
// "Nacre I/O error"), with Nacre's own text (path, errno name, reason), so
// H5Eprint / H5Ewalk show them below HDF5's own entries.
#pragma once

#include <nacre/status.hpp>

#include <hdf5.h>

#include <string>

namespace nacre::h5fd {

// Registers the error class and messages with HDF5. Called when the driver
// is registered (again after H5close). Makes no other HDF5 API call, so it
// never clears the error stack. Not thread-safe (HDF5 parallel builds are not).
void init_errors();

// Pushes `msg` onto the default error stack. Returns -1 (FAIL).
herr_t push_error(const char* func, const std::string& msg);
// Pushes s.to_string() (s must be an error).
herr_t push_status(const char* func, const Status& s);
// For a catch (...) block: pushes "internal error: <what()>".
herr_t push_current_exception(const char* func);

}  // namespace nacre::h5fd
