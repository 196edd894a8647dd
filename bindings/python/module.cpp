#include "bindings/python/module.h"

#include "core/errors.h"

namespace tunectl::py {

std::vector<std::function<void(pybind11::module_&)>>& binders() {
  static std::vector<std::function<void(pybind11::module_&)>> b;
  return b;
}

}  // namespace tunectl::py

PYBIND11_MODULE(_tunectl, m) {
  namespace py = pybind11;
  m.doc() = "tunectl native core (use the `tunectl` package, not this module)";
  // Python exception hierarchy mirroring the C++ one. Registered base first: pybind11 tries the
  // most recently registered translator first, so the most derived class wins.
  static py::exception<tunectl::Error> error(m, "Error");
  static py::exception<tunectl::InputError> input_error(m, "InputError", error.ptr());
  static py::exception<tunectl::ProfileError> profile_error(m, "ProfileError", input_error.ptr());
  static py::exception<tunectl::NotPermitted> not_permitted(m, "NotPermitted", error.ptr());
  static py::exception<tunectl::ApplyError> apply_error(m, "ApplyError", error.ptr());
  static py::exception<tunectl::TransactionError> transaction_error(m, "TransactionError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tunectl::ProfileError& e) {
      profile_error(e.what());
    } catch (const tunectl::InputError& e) {
      input_error(e.what());
    } catch (const tunectl::NotPermitted& e) {
      not_permitted(e.what());
    } catch (const tunectl::ApplyError& e) {
      apply_error(e.what());
    } catch (const tunectl::TransactionError& e) {
      transaction_error(e.what());
    } catch (const tunectl::Error& e) {
      error(e.what());
    }
  });
  m.attr("__version__") = TUNECTL_VERSION;
  for (auto& bind : tunectl::py::binders()) bind(m);
}
