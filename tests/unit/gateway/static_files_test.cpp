#include "chorus/gateway/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using chorus::gateway::read_static;

class StaticFiles : public ::testing::Test {
 protected:
  std::filesystem::path root_ = std::filesystem::temp_directory_path() / ("chorus-web-" + std::to_string(::getpid()));
  void SetUp() override {
    std::filesystem::create_directories(root_ / "home");
    std::ofstream(root_ / "index.html") << "<p>root</p>";
    std::ofstream(root_ / "home" / "chat.js") << "let x = 1;";
    std::ofstream(root_ / ".secret") << "no";
    std::ofstream(root_.parent_path() / "outside.txt") << "no";
  }
  void TearDown() override {
    std::filesystem::remove_all(root_);
    std::filesystem::remove(root_.parent_path() / "outside.txt");
  }
};

TEST_F(StaticFiles, ServesFilesWithTypes) {
  auto js = read_static(root_.string(), "/home/chat.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, "let x = 1;");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  auto index = read_static(root_.string(), "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
}

TEST_F(StaticFiles, RefusesTraversalAndHiddenFiles) {
  EXPECT_FALSE(read_static(root_.string(), "/../outside.txt"));
  EXPECT_FALSE(read_static(root_.string(), "/home/../../outside.txt"));
  EXPECT_FALSE(read_static(root_.string(), "/.secret"));
  EXPECT_FALSE(read_static(root_.string(), "relative"));
  EXPECT_FALSE(read_static(root_.string(), "/missing.html"));
}

TEST_F(StaticFiles, RefusesAbsolutePathsHiddenInDoubleSlashes) {
  // "//etc/passwd" (or "/%2fetc/passwd" once decoded) must not escape the root.
  EXPECT_FALSE(read_static(root_.string(), "//etc/passwd"));
  EXPECT_FALSE(read_static(root_.string(), "/home//chat.js"));
  EXPECT_FALSE(read_static(root_.string(), "/home/./chat.js"));
  EXPECT_FALSE(read_static(root_.string(), "/home\\..\\..\\outside.txt"));
  EXPECT_FALSE(read_static(root_.string(), "/home/"));  // a folder without index.html: nothing
}
