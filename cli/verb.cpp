// The verb registry and the option parsing every verb shares.
#include <unistd.h>

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

}  // namespace tunectl::cli
