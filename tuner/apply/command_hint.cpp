// Commands in hints, with the options that name the same root and state dir (command_hint.h).
#include "tuner/apply/command_hint.h"

#include <filesystem>

#include "tuner/apply/state_dir.h"

namespace tunectl {

std::string shell_quote(const std::string& word) {
  const bool safe = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                            "0123456789_@%+=:,./-") == std::string::npos;
  if (safe) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string tunectl_command(const std::vector<std::string>& words, const std::string& root,
                            const std::string& state_dir) {
  std::vector<std::string> all = words;
  if (root != "/" && !root.empty()) {
    all.push_back("--root");
    all.push_back(root);
  }
  if (!state_dir.empty() && state_dir != default_state_dir(root.empty() ? "/" : root)) {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(state_dir, ec);
    all.push_back("--state-dir");
    all.push_back(ec ? state_dir : abs.lexically_normal().string());
  }
  std::string out = "tunectl";
  for (const auto& w : all) out += " " + shell_quote(w);
  return out;
}

}  // namespace tunectl
