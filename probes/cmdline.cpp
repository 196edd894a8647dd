#include "probes/cmdline.h"

#include <cctype>

namespace tunectl {

std::map<std::string, std::string> parse_kernel_cmdline(const std::string& text) {
  std::map<std::string, std::string> params;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    std::string word;
    bool quoted = false;
    for (; i < text.size() && (quoted || !std::isspace(static_cast<unsigned char>(text[i]))); ++i) {
      if (text[i] == '"')
        quoted = !quoted;
      else
        word += text[i];
    }
    if (word == "--") break;
    const size_t eq = word.find('=');
    if (eq == std::string::npos)
      params[word] = "";
    else
      params[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return params;
}

}  // namespace tunectl
