// The public entry points of include/nacre/h5fd_nacre.h. Each is an HDF5-
// style C function: it returns a negative value on failure with the reason
// on HDF5's error stack, and never throws.
#include "h5fd/h5fd_error.hpp"
#include "h5fd/h5fd_fapl.hpp"
#include "h5fd/h5fd_file.hpp"

#include <nacre/h5fd_nacre.h>

namespace {

hid_t g_driver = H5I_INVALID_HID;

// The fapl's current Nacre configuration, or nullptr with the error pushed.
const H5FD_nacre_fapl_t* current(hid_t fapl_id, const char* fn) {
  if (H5Pget_driver(fapl_id) != H5FD_nacre_init()) {
    nacre::h5fd::push_error(fn, "H5FD_nacre: the file access property list does not use the "
                                "Nacre driver (call H5Pset_fapl_nacre first)");
    return nullptr;
  }
  const auto* fa = static_cast<const H5FD_nacre_fapl_t*>(H5Pget_driver_info(fapl_id));
  if (fa == nullptr) nacre::h5fd::push_error(fn, "H5FD_nacre: no driver configuration in the fapl");
  return fa;
}

herr_t set(hid_t fapl_id, MPI_Comm comm, MPI_Info info, void* fs, const char* fn) {
  try {
    if (H5FD_nacre_init() < 0) return -1;
    if (H5Pisa_class(fapl_id, H5P_FILE_ACCESS) <= 0)
      return nacre::h5fd::push_error(fn, "H5FD_nacre: not a file access property list");
    if (comm == MPI_COMM_NULL)
      return nacre::h5fd::push_error(fn, "H5FD_nacre: the communicator is MPI_COMM_NULL");
    H5FD_nacre_fapl_t fa{};
    fa.magic = H5FD_NACRE_FAPL_MAGIC;
    fa.version = H5FD_NACRE_FAPL_VERSION;
    fa.comm = comm;
    fa.info = info;
    fa.filesystem = fs;
    return H5Pset_driver(fapl_id, g_driver, &fa);  // copies (and validates) through fapl_copy
  } catch (...) {
    return nacre::h5fd::push_current_exception(fn);
  }
}

}  // namespace

extern "C" {

hid_t H5FD_nacre_init(void) {
  if (g_driver >= 0 && H5Iget_type(g_driver) == H5I_VFL) return g_driver;
  g_driver = H5FD_register(&nacre::h5fd::kNacreClass, sizeof(nacre::h5fd::kNacreClass), false);
  nacre::h5fd::init_errors();
  return g_driver;
}

herr_t H5Pset_fapl_nacre(hid_t fapl_id, MPI_Comm comm, MPI_Info info) {
  return set(fapl_id, comm, info, nullptr, "H5Pset_fapl_nacre");
}

herr_t H5Pget_fapl_nacre(hid_t fapl_id, MPI_Comm* comm, MPI_Info* info) {
  const auto* fa = current(fapl_id, "H5Pget_fapl_nacre");
  if (fa == nullptr) return -1;
  if (comm != nullptr && MPI_Comm_dup(fa->comm, comm) != MPI_SUCCESS)
    return nacre::h5fd::push_error("H5Pget_fapl_nacre", "H5FD_nacre: MPI_Comm_dup failed");
  if (info != nullptr) {
    *info = MPI_INFO_NULL;
    if (fa->info != MPI_INFO_NULL && MPI_Info_dup(fa->info, info) != MPI_SUCCESS)
      return nacre::h5fd::push_error("H5Pget_fapl_nacre", "H5FD_nacre: MPI_Info_dup failed");
  }
  return 0;
}

herr_t H5Pset_fapl_nacre_striping(hid_t fapl_id, int64_t stripe_size, int32_t stripe_count) {
  const auto* fa = current(fapl_id, "H5Pset_fapl_nacre_striping");
  if (fa == nullptr) return -1;
  H5FD_nacre_fapl_t next = *fa;
  next.stripe_size = stripe_size;
  next.stripe_count = stripe_count;
  nacre::Status s = nacre::h5fd::validate(next);
  if (!s) return nacre::h5fd::push_status("H5Pset_fapl_nacre_striping", s);
  return H5Pset_driver(fapl_id, g_driver, &next);
}

}  // extern "C"

namespace nacre::h5fd {
herr_t set_fapl(hid_t fapl_id, MPI_Comm comm, MPI_Info info, FileSystem& fs) {
  return set(fapl_id, comm, info, &fs, "nacre::h5fd::set_fapl");
}
}  // namespace nacre::h5fd
