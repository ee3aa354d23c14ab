#include "support/test_support.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hotline::testing {

std::pair<std::uint16_t, std::uint16_t> private_port_range() {
  static const std::pair<std::uint16_t, std::uint16_t> range = [] {
    for (int slot = 0; slot < 40; ++slot) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) break;
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<std::uint16_t>(29000 + slot));
      if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
          ::listen(fd, 1) == 0) {
        // Kept open (never closed) until the process exits: the lease.
        const auto first = static_cast<std::uint16_t>(30000 + slot * 500);
        return std::pair<std::uint16_t, std::uint16_t>{first,
                                                       static_cast<std::uint16_t>(first + 499)};
      }
      ::close(fd);
    }
    std::fprintf(stderr, "private_port_range: every slot (127.0.0.1:29000-29039) is taken\n");
    std::abort();
  }();
  return range;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hotline-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path source_dir() {
  if (const char* env = std::getenv("HOTLINE_SOURCE_DIR"); env && *env) return env;
  return HOTLINE_SOURCE_DIR_DEFAULT;
}

std::filesystem::path shared_testdata_dir() {
  if (const char* env = std::getenv("HOTLINE_SHARED_DIR"); env && *env) {
    return std::filesystem::path(env) / "testdata";
  }
  return source_dir().parent_path() / "shared" / "testdata";
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hotline::testing
