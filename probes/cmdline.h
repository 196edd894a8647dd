// The kernel command line (/proc/cmdline) as parameters: "isolcpus=2-3 nosmt" ->
// {"isolcpus": "2-3", "nosmt": ""}. Words after "--" belong to init and are dropped.
#pragma once
#include <map>
#include <string>

namespace tunectl {

// The kernel honours the last occurrence of most parameters, so the last one wins here too.
// Double quotes group a value with spaces (param="a b") and are removed, as the kernel does.
std::map<std::string, std::string> parse_kernel_cmdline(const std::string& text);

}  // namespace tunectl
