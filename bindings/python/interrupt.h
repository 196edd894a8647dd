// Ctrl-C in Python while the library runs with the GIL released (bench, audit). The library polls
// check() between runs: it takes the GIL back and lets Python run its signal handlers; a pending
// KeyboardInterrupt is remembered and the library told to stop. Once the library has cleaned up
// (benchmarks torn down, the audit's original settings restored) and thrown Error with
// kExitInterrupted, rethrow() raises the KeyboardInterrupt itself.
#pragma once
#include <pybind11/pybind11.h>

#include "core/errors.h"

namespace tunectl::py {

class PythonInterrupt {
 public:
  // Called without the GIL. True: stop.
  bool check() {
    pybind11::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() == 0) return false;
    PyErr_Clear();  // raised again by rethrow() once the library has cleaned up
    signalled_ = true;
    return true;
  }
  // Called with the GIL, from the handler of `e`: KeyboardInterrupt for the interruption this
  // object asked for, `e` itself otherwise.
  [[noreturn]] void rethrow(const Error& e) const {
    if (!signalled_ || e.exit_code() != kExitInterrupted) throw;
    PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    throw pybind11::error_already_set();
  }

 private:
  bool signalled_ = false;
};

}  // namespace tunectl::py
