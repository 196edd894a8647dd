// Host bytes in text output. Kernel files, interface names and tree paths are bytes, not UTF-8,
// and a hostile one may hold terminal escapes. This is the one place that turns such bytes into a
// visible "\xHH" escape (backslash, x, two lowercase hex digits): dump_json() for every JSON
// output (CLI, Python, report files), escape_for_terminal() for tables (core/table.h: every cell
// and header) and messages on a terminal. Valid UTF-8 ("µs", "—") is kept as it is; a literal
// backslash is not escaped.
#pragma once
#include <string>
#include <string_view>

#include "core/json.h"

namespace tunectl {

// JSON text of `j` (indent as json::dump: -1 compact). Strings and keys that are not valid UTF-8
// (kernel bytes: an interface name, an IRQ action) get each bad byte as "\xHH" where j.dump()
// would throw (type_error 316: `probe --json` exited 70). Use it, never j.dump(), for output.
std::string dump_json(const json& j, int indent = -1);

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF:
// the rule nlohmann's dump() enforces).
bool is_valid_utf8(std::string_view s);

// Every byte that is not part of a well-formed UTF-8 sequence becomes "\xHH".
std::string escape_invalid_utf8(std::string_view s);

// escape_invalid_utf8, and the controls a terminal acts on become "\xHH" too: C0 (including tab
// and newline), DEL and C1 (U+0080..U+009F, each of its two bytes: "\xc2\x9b").
std::string escape_for_terminal(std::string_view s);

}  // namespace tunectl
