#include "bindings/python/module.h"

#include <new>

#include "core/errors.h"
#include "core/json_text.h"

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
  // Every exception from the library becomes a tunectl.Error subclass; anything else the library
  // throws (nlohmann's json errors, std::out_of_range, ...) is a bug and becomes tunectl.Error
  // "internal error: ...", as the CLI says it (exit 70). Left to pybind11's own translator: Python
  // exceptions passing through (KeyboardInterrupt, an error in a progress callback), pybind11's own
  // (argument casts) and std::bad_alloc (MemoryError, which Python raises anywhere anyway).
  // Messages quote host bytes: invalid UTF-8 becomes "\xHH", or Python could not make a str.
  py::register_exception_translator([](std::exception_ptr p) {
    auto text = [](const std::exception& e) { return tunectl::escape_invalid_utf8(e.what()); };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tunectl::ProfileError& e) {
      profile_error(text(e).c_str());
    } catch (const tunectl::InputError& e) {
      input_error(text(e).c_str());
    } catch (const tunectl::NotPermitted& e) {
      not_permitted(text(e).c_str());
    } catch (const tunectl::ApplyError& e) {
      apply_error(text(e).c_str());
    } catch (const tunectl::TransactionError& e) {
      transaction_error(text(e).c_str());
    } catch (const tunectl::Error& e) {
      error(text(e).c_str());
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      error(("internal error: " + text(e)).c_str());
    }
  });
  m.attr("__version__") = TUNECTL_VERSION;
  for (auto& bind : tunectl::py::binders()) bind(m);
}
