#pragma once
// Fixture files under tests/data (DEVBOX_TEST_DATA), read whole.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dh::testing {

inline std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string test_data(const std::string& rel) { return read_whole(std::filesystem::path(DEVBOX_TEST_DATA) / rel); }

}  // namespace dh::testing
