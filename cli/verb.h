// The CLI's verb registry. Each verb lives in its own verb_<name>.cpp and is listed by one line in
// cli/verbs.def; main.cpp only dispatches. Verbs are thin: parse options, call the library, print.
// Errors are thrown as tunectl::Error and become a one-line message + exit code.
#pragma once
#include <boost/program_options.hpp>
#include <functional>
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

// True when stdout is a terminal (progress lines, colour).
bool stdout_is_tty();

}  // namespace tunectl::cli
