// The strict JSON reader refuses a NUL byte anywhere: nlohmann's lexer would take it for the end
// of the input and accept "{...}\0garbage".
#include <gtest/gtest.h>

#include "core/strict_json.h"

namespace tunectl {
namespace {

TEST(StrictJson, ARawNulByteAnywhereIsRefusedWithItsOffset) {
  const std::string doc = "{\"a\": 1}";
  EXPECT_EQ(parse_strict_json(doc, 8), json({{"a", 1}}));
  for (const std::string& bad : {doc + std::string("\0garbage", 8), doc + std::string(1, '\0'),
                                 std::string("{\"a\": \0 1}", 10)}) {
    try {
      parse_strict_json(bad, 8);
      ADD_FAILURE() << "accepted " << bad.size() << " bytes with a NUL";
    } catch (const JsonError& e) {
      EXPECT_EQ(e.pointer, "");
      EXPECT_EQ(std::string(e.what()), "invalid JSON: NUL byte at offset " + std::to_string(bad.find('\0')));
    }
  }
}

TEST(StrictJson, AnEscapedNulInAStringOrKeyIsStillRefused) {
  EXPECT_THROW(parse_strict_json(R"({"a": "x\u0000y"})", 8), JsonError);
  EXPECT_THROW(parse_strict_json(R"({"a\u0000": 1})", 8), JsonError);
}

}  // namespace
}  // namespace tunectl
