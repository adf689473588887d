// Umbrella header of the Nacre C++ API.
#pragma once
#include <nacre/config.hpp>
#include <nacre/file.hpp>
#include <nacre/filesystem.hpp>
#include <nacre/layout.hpp>
#include <nacre/runtime.hpp>
#include <nacre/status.hpp>
#include <nacre/types.hpp>
#include <nacre/version.hpp>
