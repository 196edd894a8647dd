// Host bytes in text output (core/json_text.h): invalid UTF-8 as "\xHH" in JSON, and also the
// terminal's control characters in tables; valid UTF-8 kept as it is.
#include <gtest/gtest.h>

#include "core/json.h"
#include "core/json_text.h"

namespace tunectl {
namespace {

TEST(JsonText, InvalidBytesBecomeVisibleEscapesAndValidUtf8IsKept) {
  EXPECT_EQ(escape_invalid_utf8("t\xff"), "t\\xff");
  EXPECT_EQ(escape_invalid_utf8("50 \u00b5s \u2014 ok"), "50 \u00b5s \u2014 ok");
  EXPECT_EQ(escape_invalid_utf8("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");  // 4 bytes, U+1F600
  EXPECT_EQ(escape_invalid_utf8("a\\xff"), "a\\xff");                    // a literal backslash stays
  EXPECT_EQ(escape_invalid_utf8("\x1b[31m"), "\x1b[31m");                // JSON escapes controls itself
  EXPECT_EQ(escape_invalid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(JsonText, EveryIllFormedSequenceIsEscapedByteByByte) {
  EXPECT_EQ(escape_invalid_utf8("\xc0\xaf"), "\\xc0\\xaf");          // overlong "/"
  EXPECT_EQ(escape_invalid_utf8("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");  // overlong, 3 bytes
  EXPECT_EQ(escape_invalid_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_invalid_utf8("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(escape_invalid_utf8("\xc3"), "\\xc3");                   // cut short at the end
  EXPECT_EQ(escape_invalid_utf8("\xe2\x80x"), "\\xe2\\x80x");         // cut short by ASCII
  EXPECT_EQ(escape_invalid_utf8("\x80\xbf"), "\\x80\\xbf");          // lone continuation bytes
  EXPECT_EQ(escape_invalid_utf8("\xf5\xfe\xff"), "\\xf5\\xfe\\xff");
  EXPECT_TRUE(is_valid_utf8("\u00b5\u2014\U0010FFFF"));
  EXPECT_FALSE(is_valid_utf8("eth\xff"));
}

TEST(JsonText, TheTerminalFormAlsoEscapesC0DelAndC1Controls) {
  EXPECT_EQ(escape_for_terminal("eth\x1b[2J0"), "eth\\x1b[2J0");
  EXPECT_EQ(escape_for_terminal("a\tb\nc\rd\x7f"), "a\\x09b\\x0ac\\x0dd\\x7f");
  EXPECT_EQ(escape_for_terminal("\xc2\x9b" "31m"), "\\xc2\\x9b31m");  // U+009B, the 8-bit CSI
  EXPECT_EQ(escape_for_terminal("\xc2\xa0\u00b5s"), "\xc2\xa0\u00b5s");  // U+00A0 and "µ" are not controls
  EXPECT_EQ(escape_for_terminal("t\xff"), "t\\xff");
  EXPECT_EQ(escape_for_terminal(std::string("a\0b", 3)), "a\\x00b");
}

TEST(JsonText, DumpJsonEscapesBadBytesInStringsAndKeysWhereDumpThrows) {
  json j = {{"name", "t\xff"}, {"nested", {{"k\xfe", json::array({"ok", "x\xc3"})}}}, {"n", 1}};
  EXPECT_THROW(j.dump(), json::type_error);  // what every JSON writer did before: exit 70
  const std::string text = dump_json(j);
  EXPECT_EQ(json::parse(text), json::parse(R"({"name":"t\\xff","nested":{"k\\xfe":["ok","x\\xc3"]},"n":1})"));
  EXPECT_EQ(json::parse(dump_json(j, 2))["name"], "t\\xff");
}

TEST(JsonText, DumpJsonOfValidDocumentsIsExactlyDump) {
  json j = {{"unit", "\u00b5s"}, {"esc", "\x1b"}, {"list", {1, 2.5, nullptr, true}}};
  EXPECT_EQ(dump_json(j), j.dump());
  EXPECT_EQ(dump_json(j, 2), j.dump(2));
  EXPECT_NE(dump_json(j).find("\\u001b"), std::string::npos);  // controls stay JSON escapes
}

}  // namespace
}  // namespace tunectl
