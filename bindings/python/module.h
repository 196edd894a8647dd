// The pybind11 extension `tunectl._tunectl`. Each area binds itself from its own bind_<area>.cpp
// through a static BinderRegistration; module.cpp creates the module, the exception hierarchy,
// and calls every binder. Functions return JSON text; the thin Python layer wraps it in objects.
#pragma once
#include <pybind11/pybind11.h>

#include <functional>
#include <vector>

namespace tunectl::py {

std::vector<std::function<void(pybind11::module_&)>>& binders();

struct BinderRegistration {
  explicit BinderRegistration(std::function<void(pybind11::module_&)> f) { binders().push_back(std::move(f)); }
};

}  // namespace tunectl::py
