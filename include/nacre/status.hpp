// nacre::Status and nacre::Result<T>: the one error convention of Nacre.
//
// Every fallible call returns a Status (or a Result<T> holding either a value
// or a non-OK Status). A Status carries an errno-like code (ENOENT, EINVAL,
// EIO, ...) and a human-readable message. Nacre never throws across its API,
// an RPC, a rank or a C/HDF5 callback.
#pragma once

#include <nacre/export.h>

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace nacre {

class NACRE_API Status {
 public:
  Status() = default;  // OK
  static Status ok() { return Status(); }
  // code must be a positive errno value; message says what failed and why.
  static Status error(int code, std::string message) {
    Status s;
    s.code_ = code > 0 ? code : EIO;
    s.message_ = std::move(message);
    return s;
  }

  bool is_ok() const { return code_ == 0; }
  explicit operator bool() const { return is_ok(); }
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ENOENT: open /a/b: no such file" style text for logs and exceptions.
  std::string to_string() const;

  // Returns a copy whose message is prefixed with context ("open /x: ...").
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return error(code_, context + ": " + message_);
  }

 private:
  int code_ = 0;
  std::string message_;
};

// Symbolic name of an errno value ("ENOENT"), or "E<number>" when unknown.
NACRE_API const char* errno_name(int code);

// Result<T>: either a T or a non-OK Status. Accessing value() of an error
// Result is a programming error (it aborts with the status text).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {    // NOLINT
    if (std::get<Status>(v_).is_ok())
      v_ = Status::error(EIO, "internal error: Result built from an OK status");
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status ok_status;
    return is_ok() ? ok_status : std::get<Status>(v_);
  }
  T& value() & { check(); return std::get<T>(v_); }
  const T& value() const& { check(); return std::get<T>(v_); }
  T&& value() && { check(); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  void check() const;
  std::variant<T, Status> v_;
};

[[noreturn]] NACRE_API void die_on_bad_result_access(const Status& s);

template <class T>
void Result<T>::check() const {
  if (!is_ok()) die_on_bad_result_access(std::get<Status>(v_));
}

}  // namespace nacre

// Propagate a non-OK Status from an expression returning Status.
#define NACRE_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::nacre::Status nacre_status_ = (expr);      \
    if (!nacre_status_.is_ok()) return nacre_status_; \
  } while (0)
