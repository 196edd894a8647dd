// The verb registry, the option parsing and the sub-command dispatch every verb shares.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "core/errors.h"
#include "cli/verb.h"

namespace tunectl::cli {

const std::vector<Verb>& verbs() {
  static const std::vector<Verb> v = {
#define TUNECTL_VERB(name) verb_##name(),
#include "cli/verbs.def"
#undef TUNECTL_VERB
  };
  return v;
}

bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

bool parse_options(const std::string& verb, const std::string& usage, po::options_description& opts,
                   const std::vector<std::string>& args, po::variables_map& vm,
                   const po::positional_options_description* positional) {
  opts.add_options()("help,h", "show this help");
  try {
    auto parser = po::command_line_parser(args).options(opts);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: tunectl " << verb << " " << usage << "\n\n" << opts << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(std::string(e.what()) + " (see tunectl " + verb + " --help)");
  }
  return true;
}

namespace {

void print_subcommand_help(std::ostream& out, const std::string& verb, const std::vector<Subcommand>& subs,
                           const std::optional<SubcommandFallback>& fallback, const std::string& epilog) {
  out << "usage: tunectl " << verb << " SUB-COMMAND [options]   (tunectl " << verb
      << " SUB-COMMAND --help for its options)\n\nsub-commands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& s : subs) rows.emplace_back(s.name + (s.args.empty() ? "" : " " + s.args), s.summary);
  if (fallback) rows.emplace_back(fallback->placeholder, fallback->summary);
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  for (const auto& r : rows) out << "  " << r.first << std::string(width + 3 - r.first.size(), ' ') << r.second << "\n";
  if (!epilog.empty()) out << "\n" << epilog << "\n";
}

}  // namespace

int run_subcommand(const std::string& verb, const std::vector<std::string>& args, const std::vector<Subcommand>& subs,
                   const std::optional<SubcommandFallback>& fallback, const std::string& epilog) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_subcommand_help(args.empty() ? std::cerr : std::cout, verb, subs, fallback, epilog);
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string names;
  for (const auto& s : subs) names += (names.empty() ? "" : " | ") + s.name;
  if (fallback) names += " | " + fallback->placeholder;
  const std::string hint = " (" + names + "; see tunectl " + verb + " --help)";
  if (args[0].size() > 1 && args[0][0] == '-')
    throw InputError("the sub-command comes before any option, got '" + args[0] + "'" + hint);
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const auto& s : subs)
    if (s.name == args[0]) return s.run(rest);
  if (fallback) return fallback->run(args[0], rest);
  throw InputError("unknown sub-command '" + args[0] + "'" + hint);
}

}  // namespace tunectl::cli
