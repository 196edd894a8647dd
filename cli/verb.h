// The CLI's verb registry. Each verb lives in its own verb_<name>.cpp and is listed by one line in
// cli/verbs.def; main.cpp only dispatches. Verbs are thin: parse options, call the library, print.
// Errors are thrown as tunectl::Error and become a one-line message + exit code.
#pragma once
#include <boost/program_options.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tunectl::cli {

namespace po = boost::program_options;

struct Verb {
  std::string name;
  std::string summary;  // one line for `tunectl --help`
  // argv excludes the program name and the verb itself. Returns the exit code.
  std::function<int(const std::vector<std::string>& args)> run;
};

// Every verb, in cli/verbs.def order. Each verb file defines verb_<name>().
const std::vector<Verb>& verbs();
#define TUNECTL_VERB(name) Verb verb_##name();
#include "cli/verbs.def"
#undef TUNECTL_VERB

// Parses args against `opts` (+ positional), handling --help for the verb. Returns false when
// --help was printed (the verb should return 0). Throws InputError on bad options.
bool parse_options(const std::string& verb, const std::string& usage, po::options_description& opts,
                   const std::vector<std::string>& args, po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

// Verbs made of sub-commands (`profiles list`, `bench compare`) all dispatch through
// run_subcommand: the first argument names the sub-command, the rest are its own options.
struct Subcommand {
  std::string name;     // what is typed: "list"
  std::string args;     // its arguments, for the verb's help: "NAME" (may be empty)
  std::string summary;  // one line in the verb's help
  std::function<int(const std::vector<std::string>& args)> run;  // args after the sub-command
};
// Any other first word, e.g. a benchmark name (`bench tcp_rr`).
struct SubcommandFallback {
  std::string placeholder;  // how the help shows it: "NAME"
  std::string summary;
  std::function<int(const std::string& word, const std::vector<std::string>& args)> run;
};
// Runs the sub-command args[0] names. Without one, prints the verb's help (its sub-commands and
// `epilog`) on stderr and returns kExitUsage; `VERB --help` prints it on stdout and returns 0.
// An unknown sub-command (with no fallback) or an option in its place throws InputError.
int run_subcommand(const std::string& verb, const std::vector<std::string>& args, const std::vector<Subcommand>& subs,
                   const std::optional<SubcommandFallback>& fallback = std::nullopt, const std::string& epilog = "");

// True when stdout is a terminal (progress lines, colour).
bool stdout_is_tty();

}  // namespace tunectl::cli
