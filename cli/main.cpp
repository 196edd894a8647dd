// tunectl: benchmark-driven Linux kernel tuning. Dispatches to the registered verbs.
#include <algorithm>
#include <iostream>

#include "core/errors.h"
#include "cli/verb.h"

namespace {

void print_usage(std::ostream& out) {
  auto vs = tunectl::cli::verbs();
  std::sort(vs.begin(), vs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  out << "usage: tunectl <verb> [options]   (tunectl help <verb> for each verb)\n\n"
      << "Benchmark-driven Linux kernel tuning: probe the host, plan and apply a profile as a\n"
      << "crash-safe transaction, measure the effect, roll back exactly.\n\nverbs:\n";
  for (const auto& v : vs) out << "  " << v.name << std::string(12 - std::min<size_t>(11, v.name.size()), ' ') << v.summary << "\n";
  out << "\nexit codes: 0 ok, 1 drift/verification failed/regression, 2 usage or input error,\n"
      << "            3 not permitted, 4 apply failed and rolled back\n";
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
    std::cerr << "tunectl: unknown verb '" << args[0] << "' (see tunectl --help)\n";
    return tunectl::kExitUsage;
  }
  try {
    return it->run(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const tunectl::Error& e) {
    std::cerr << "tunectl " << args[0] << ": " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "tunectl " << args[0] << ": internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE: a bug, not a user error
  }
}
