#include "common/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace hotline {

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, path + ": " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<std::size_t>(size) > max_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB");
  }
  in.seekg(0);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in && !in.eof()) return fail(ErrorCode::kIo, path + ": read failed");
  return text;
}

}  // namespace hotline
