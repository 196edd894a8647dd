#include "bindings/python/module.h"

#include <new>
#include <vector>

#include "core/errors.h"
#include "core/json_text.h"
#include "tuner/plan/plan_review.h"

namespace tunectl::py {

std::vector<std::function<void(pybind11::module_&)>>& binders() {
  static std::vector<std::function<void(pybind11::module_&)>> b;
  return b;
}

}  // namespace tunectl::py

namespace {

namespace py = pybind11;

const char* kErrorDoc =
    "Base of every tunectl error. Attributes: exit_code (the CLI's exit code for it), file, pointer\n"
    "(JSON pointer inside file), knob (knob address) -- None when not known.";
const char* kInputErrorDoc = "Bad input: an argument, a file, a root that is not a directory. exit_code 2.";
const char* kProfileErrorDoc = "A profile that does not load or validate; file and pointer name the setting. exit_code 2.";
const char* kNotPermittedDoc =
    "Needs privileges this process lacks, or the kernel refuses writes (read-only /proc/sys, an\n"
    "unsafe state dir, a profile others can change read as root). exit_code 3.";
const char* kApplyErrorDoc =
    "An apply failed part-way; everything written was restored (.transaction holds the record).\n"
    "exit_code 4.";
const char* kTransactionErrorDoc =
    "A journal or transaction problem: a corrupt journal, nothing recorded under that id, a device or\n"
    "network namespace that changed since the apply. exit_code 2.";
const char* kLockHeldDoc = "Another tunectl holds the state lock; pass wait= to wait for it. exit_code 5.";
const char* kOpenTransactionDoc =
    "An interrupted (open) or unreadable transaction must be recovered first: rollback(), or\n"
    "apply(..., recover=True). exit_code 6.";
const char* kPlanRefusedDoc =
    "Nothing was applied because the plan is not the expected one: strict=True found a skipped\n"
    "setting or a warning, or expect_plan= differs from the plan made now. exit_code 1.";

struct ExceptionDoc {
  py::object cls;
  int exit_code;
  const char* doc;
};

// Class attributes: the defaults an exception raised from Python code (tunectl's own wrappers) has.
void describe_exceptions(const std::vector<ExceptionDoc>& all) {
  for (const auto& d : all) {
    py::setattr(d.cls, "__doc__", py::str(d.doc));
    py::setattr(d.cls, "exit_code", py::int_(d.exit_code));
    for (const char* field : {"file", "pointer", "knob"}) py::setattr(d.cls, field, py::none());
  }
}

py::object optional_text(const std::optional<std::string>& v) {
  return v ? py::object(py::str(tunectl::escape_invalid_utf8(*v))) : py::object(py::none());
}

// Raises `cls` with the message and the error's fields as attributes.
template <class E>
void raise_with_fields(py::exception<E>& cls, const tunectl::Error& e) {
  // Called as a class (not py::exception's operator(), which only sets the error): an instance.
  py::object exc = py::reinterpret_borrow<py::object>(cls.ptr())(tunectl::escape_invalid_utf8(e.what()));
  exc.attr("exit_code") = e.exit_code();
  exc.attr("file") = optional_text(e.file());
  exc.attr("pointer") = optional_text(e.pointer());
  exc.attr("knob") = optional_text(e.knob());
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

}  // namespace

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
  static py::exception<tunectl::LockHeld> lock_held(m, "LockHeld", transaction_error.ptr());
  static py::exception<tunectl::OpenTransaction> open_transaction(m, "OpenTransaction", transaction_error.ptr());
  static py::exception<tunectl::PlanRefused> plan_refused(m, "PlanRefused", error.ptr());
  describe_exceptions({{error, tunectl::kExitUsage, kErrorDoc},
                       {input_error, tunectl::kExitUsage, kInputErrorDoc},
                       {profile_error, tunectl::kExitUsage, kProfileErrorDoc},
                       {not_permitted, tunectl::kExitNotPermitted, kNotPermittedDoc},
                       {apply_error, tunectl::kExitApplyFailed, kApplyErrorDoc},
                       {transaction_error, tunectl::kExitUsage, kTransactionErrorDoc},
                       {lock_held, tunectl::kExitLocked, kLockHeldDoc},
                       {open_transaction, tunectl::kExitOpenTransaction, kOpenTransactionDoc},
                       {plan_refused, tunectl::kExitDrift, kPlanRefusedDoc}});
  // Every exception from the library becomes a tunectl.Error subclass carrying exit_code, file,
  // pointer and knob; anything else the library throws (nlohmann's json errors,
  // std::out_of_range, ...) is a bug and becomes tunectl.Error "internal error: ...", as the CLI
  // says it (exit 70). Left to pybind11's own translator: Python exceptions passing through
  // (KeyboardInterrupt, an error in a progress callback), pybind11's own (argument casts) and
  // std::bad_alloc (MemoryError, which Python raises anywhere anyway).
  // Messages quote host bytes: invalid UTF-8 becomes "\xHH", or Python could not make a str.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tunectl::ProfileError& e) {
      raise_with_fields(profile_error, e);
    } catch (const tunectl::InputError& e) {
      raise_with_fields(input_error, e);
    } catch (const tunectl::NotPermitted& e) {
      raise_with_fields(not_permitted, e);
    } catch (const tunectl::ApplyError& e) {
      raise_with_fields(apply_error, e);
    } catch (const tunectl::LockHeld& e) {
      raise_with_fields(lock_held, e);
    } catch (const tunectl::OpenTransaction& e) {
      raise_with_fields(open_transaction, e);
    } catch (const tunectl::TransactionError& e) {
      raise_with_fields(transaction_error, e);
    } catch (const tunectl::PlanRefused& e) {
      raise_with_fields(plan_refused, e);
    } catch (const tunectl::Error& e) {
      raise_with_fields(error, e);
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      py::object exc = py::reinterpret_borrow<py::object>(error.ptr())("internal error: " +
                                                                        tunectl::escape_invalid_utf8(e.what()));
      exc.attr("exit_code") = 70;
      PyErr_SetObject(error.ptr(), exc.ptr());
    }
  });
  m.attr("__version__") = TUNECTL_VERSION;
  for (auto& bind : tunectl::py::binders()) bind(m);
}
