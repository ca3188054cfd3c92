#include "portkit/output/table.hpp"

#include <gtest/gtest.h>

namespace portkit {
namespace {

TEST(Table, AlignsColumnsAndLeavesTheLastUnpadded) {
  Table table({"PORT", "NAME"});
  table.add_row({"22", "ssh"});
  table.add_row({"27017", "mongodb"});
  EXPECT_EQ(table.render({}), "PORT   NAME\n22     ssh\n27017  mongodb\n");
  EXPECT_EQ(table.render({}, "  "), "  PORT   NAME\n  22     ssh\n  27017  mongodb\n");
}

TEST(Table, ColourOnlyWhenAsked) {
  EXPECT_EQ(styled("x", Tone::bad, {false}), "x");
  EXPECT_NE(styled("x", Tone::bad, {true}).find("\x1b["), std::string::npos);
  EXPECT_EQ(styled("x", Tone::plain, {true}), "x");
}

}  // namespace
}  // namespace portkit
