// Small checks for validating untrusted JSON documents (profiles). Each throws JsonError naming
// the JSON pointer of the offending item, so loaders can say "file: /sysctl/x: reason".
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "core/strict_json.h"

namespace tunectl::json_check {

constexpr size_t kMaxText = 1000;  // why / source / description

// The pointer of `key` inside the item at `at`: sub("/sysctl", "a/b") == "/sysctl/a~1b".
std::string sub(const std::string& at, const std::string& key);

void require_object(const json& v, const std::string& at);
// Rejects keys outside `allowed`, listing the known ones.
void only_keys(const json& obj, const std::string& at, const std::vector<std::string>& allowed);
// A string of at most kMaxText characters.
std::string text_field(const json& v, const std::string& at);
bool bool_field(const json& v, const std::string& at);
// An identifier that becomes part of a knob address: 1..max_len characters from [A-Za-z0-9_-]
// plus `extra_chars`; no "..", not starting with '.' or '/'. `what` names it in the message.
void check_name(const std::string& name, const std::string& at, const std::string& what,
                const std::string& extra_chars, size_t max_len);
// A non-empty cpulist ("0-3,8").
void check_cpulist(const std::string& text, const std::string& at);

}  // namespace tunectl::json_check
