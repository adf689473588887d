#include "h5fd/h5fd_error.hpp"

#include <exception>

namespace nacre::h5fd {

namespace {
hid_t g_class = H5I_INVALID_HID;
hid_t g_major = H5I_INVALID_HID;
hid_t g_minor = H5I_INVALID_HID;
}  // namespace

void init_errors() {
  g_class = H5Eregister_class("Nacre", "nacre_h5fd", "0.1");
  if (g_class < 0) return;
  g_major = H5Ecreate_msg(g_class, H5E_MAJOR, "Nacre virtual file driver");
  g_minor = H5Ecreate_msg(g_class, H5E_MINOR, "Nacre I/O error");
}

herr_t push_error(const char* func, const std::string& msg) {
  if (g_class >= 0 && g_major >= 0 && g_minor >= 0) {
    H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, g_class, g_major, g_minor, "%s", msg.c_str());
  } else {
    // The error system itself failed: HDF5's generic class still carries the text.
    H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, H5E_ERR_CLS, H5E_VFL, H5E_CANTINIT, "%s",
             msg.c_str());
  }
  return -1;
}

herr_t push_status(const char* func, const Status& s) { return push_error(func, s.to_string()); }

herr_t push_current_exception(const char* func) {
  try {
    throw;
  } catch (const std::exception& e) {
    return push_error(func, std::string("internal error: ") + e.what());
  } catch (...) {
    return push_error(func, "internal error: unknown exception");
  }
}

}  // namespace nacre::h5fd
