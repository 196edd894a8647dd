// The tunectl commands that messages and output tell the user to run ("undo with: ...", "run
// `tunectl rollback`"), rendered for the root and state dir they are about: a hint printed after
// an apply on a captured tree must roll back that tree, never the live host, when pasted.
#pragma once
#include <string>
#include <vector>

namespace tunectl {

// `word` quoted for a POSIX shell: as is when made only of safe characters, else in single quotes.
std::string shell_quote(const std::string& word);

// "tunectl WORDS... [--root ROOT] [--state-dir DIR]", every word shell-quoted: --root when `root`
// (canonical, journal.h) is not the live host, --state-dir (made absolute) when `state_dir` is not
// the root's default one. `state_dir` "" means the default.
std::string tunectl_command(const std::vector<std::string>& words, const std::string& root,
                            const std::string& state_dir);

}  // namespace tunectl
