// tunectl: benchmark-driven Linux kernel tuning. Dispatches to the registered verbs.
#include <algorithm>
#include <iostream>

#include "core/errors.h"
#include "core/json.h"
#include "core/json_text.h"
#include "cli/verb.h"
#include "tuner/apply/persist.h"
#include "tuner/plan/plan_review.h"

namespace {

void print_usage(std::ostream& out) {
  auto vs = tunectl::cli::verbs();
  std::sort(vs.begin(), vs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  out << "usage: tunectl <verb> [options]   (tunectl help <verb> for each verb)\n\n"
      << "Benchmark-driven Linux kernel tuning: probe the host, plan and apply a profile as a\n"
      << "crash-safe transaction, measure the effect, roll back exactly.\n\nverbs:\n";
  for (const auto& v : vs) out << "  " << v.name << std::string(12 - std::min<size_t>(11, v.name.size()), ' ') << v.summary << "\n";
  out << "\nexit codes: 0 ok (also: nothing to do), 1 drift / verification failed / regression / plan refused\n"
      << "            (--strict, --expect-plan), 2 usage or input error, 3 not permitted, 4 apply failed and\n"
      << "            rolled back, 5 state lock held by another tunectl (see --wait), 6 an open (interrupted)\n"
      << "            or unreadable transaction must be recovered first, 7 no valid persisted profile\n"
      << "            (tunectl boot), 130 interrupted by a signal\n"
      << "with --json an error is also {\"error\": {code, kind, message, file, pointer, knob}} on stdout\n";
}

// With --json, an error is also one JSON object on stdout, so a caller parsing stdout always gets
// JSON: {"error": {"code", "kind", "message", "file", "pointer", "knob"}} (null when not known).
bool wants_json(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "--json") return true;
  }
  return false;
}

const char* error_kind(const tunectl::Error& e) {
  if (dynamic_cast<const tunectl::ProfileError*>(&e)) return "profile";
  if (dynamic_cast<const tunectl::InputError*>(&e)) return "input";
  if (dynamic_cast<const tunectl::NotPermitted*>(&e)) return "not-permitted";
  if (dynamic_cast<const tunectl::ApplyError*>(&e)) return "apply";
  if (dynamic_cast<const tunectl::LockHeld*>(&e)) return "lock-held";
  if (dynamic_cast<const tunectl::PersistRecordError*>(&e)) return "persist-record";
  if (dynamic_cast<const tunectl::OpenTransaction*>(&e)) return "open-transaction";
  if (dynamic_cast<const tunectl::TransactionError*>(&e)) return "transaction";
  if (dynamic_cast<const tunectl::PlanRefused*>(&e)) return "plan-refused";
  return e.exit_code() == tunectl::kExitInterrupted ? "interrupted" : "error";
}

void print_json_error(int code, const std::string& kind, const std::string& message, const tunectl::Error* e) {
  auto field = [](const std::optional<std::string>& v) { return v ? tunectl::json(*v) : tunectl::json(); };
  tunectl::json err = {{"code", code}, {"kind", kind}, {"message", message},
                       {"file", e ? field(e->file()) : tunectl::json()},
                       {"pointer", e ? field(e->pointer()) : tunectl::json()},
                       {"knob", e ? field(e->knob()) : tunectl::json()}};
  std::cout << tunectl::dump_json(tunectl::json{{"error", err}}, 2) << "\n" << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() > 1 && args[0] == "help") {
    // `tunectl help VERB [SUB-COMMAND]` is `tunectl VERB [SUB-COMMAND] --help`.
    args.erase(args.begin());
    args.push_back("--help");
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? tunectl::kExitUsage : tunectl::kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << "tunectl " << TUNECTL_VERSION << "\n";
    return 0;
  }
  const auto& vs = tunectl::cli::verbs();
  auto it = std::find_if(vs.begin(), vs.end(), [&](const auto& v) { return v.name == args[0]; });
  if (it == vs.end()) {
    const std::string message = "unknown verb '" + args[0] + "' (see tunectl --help)";
    std::cerr << "tunectl: " << tunectl::escape_for_terminal(message) << "\n";
    if (wants_json(args)) print_json_error(tunectl::kExitUsage, "input", message, nullptr);
    return tunectl::kExitUsage;
  }
  try {
    return it->run(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const tunectl::Error& e) {
    std::cerr << "tunectl " << args[0] << ": " << tunectl::escape_for_terminal(e.what()) << "\n";  // quotes host bytes
    if (wants_json(args)) print_json_error(e.exit_code(), error_kind(e), e.what(), &e);
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "tunectl " << args[0] << ": internal error: " << tunectl::escape_for_terminal(e.what()) << "\n";
    if (wants_json(args)) print_json_error(70, "internal", std::string("internal error: ") + e.what(), nullptr);
    return 70;  // EX_SOFTWARE: a bug, not a user error
  }
}
