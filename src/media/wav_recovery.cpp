#include "media/wav_recovery.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace hotline::media {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::array<std::uint8_t, 4> to_le32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
}

bool write_at(std::FILE* f, long offset, std::uint32_t value) {
  const auto bytes = to_le32(value);
  return std::fseek(f, offset, SEEK_SET) == 0 && std::fwrite(bytes.data(), 1, 4, f) == 4;
}

}  // namespace

Result<WavRecovery> recover_wav(const std::filesystem::path& path) {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) return fail(ErrorCode::kIo, "recover " + path.string() + ": " + ec.message());
  if (file_size > 0xFFFFFFFFull)
    return fail(ErrorCode::kInvalidArgument, "recover: file exceeds the WAV size limit");
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "r+b"));
  if (!f) return fail(ErrorCode::kIo, "recover: cannot open " + path.string());

  std::array<std::uint8_t, 12> riff{};
  if (file_size < 12 || std::fread(riff.data(), 1, 12, f.get()) != 12 ||
      std::memcmp(riff.data(), "RIFF", 4) != 0 || std::memcmp(riff.data() + 8, "WAVE", 4) != 0)
    return fail(ErrorCode::kInvalidArgument, "recover: not a RIFF/WAVE file: " + path.string());

  WavRecovery r;
  std::uint16_t block_align = 0;
  std::optional<long> data_size_offset;
  std::uint64_t data_start = 0;
  std::uint32_t data_size_field = 0;
  std::uint64_t pos = 12;
  // Walk the chunks up to the data chunk; the recorder writes nothing after it.
  while (pos + 8 <= file_size) {
    std::array<std::uint8_t, 8> hdr{};
    if (std::fseek(f.get(), static_cast<long>(pos), SEEK_SET) != 0 ||
        std::fread(hdr.data(), 1, 8, f.get()) != 8)
      return fail(ErrorCode::kIo, "recover: read failed");
    const std::uint32_t size = le32(hdr.data() + 4);
    if (std::memcmp(hdr.data(), "fmt ", 4) == 0) {
      std::array<std::uint8_t, 16> fmt{};
      if (size < 16 || std::fread(fmt.data(), 1, 16, f.get()) != 16)
        return fail(ErrorCode::kInvalidArgument, "recover: truncated fmt chunk");
      r.channels = le16(fmt.data() + 2);
      r.sample_rate = le32(fmt.data() + 4);
      block_align = le16(fmt.data() + 12);
    } else if (std::memcmp(hdr.data(), "data", 4) == 0) {
      data_size_offset = static_cast<long>(pos + 4);
      data_start = pos + 8;
      data_size_field = size;
      break;
    }
    pos += 8 + size + (size & 1u);  // chunks are padded to even length
  }
  if (block_align == 0 || r.channels == 0)
    return fail(ErrorCode::kInvalidArgument, "recover: no usable fmt chunk");
  if (!data_size_offset) return fail(ErrorCode::kInvalidArgument, "recover: no data chunk");

  const std::uint64_t available = file_size - data_start;
  const std::uint64_t whole = available - available % block_align;
  const std::uint32_t riff_size_field = le32(riff.data() + 4);
  // A finalised file: RIFF covers the whole file and the data chunk lies inside it (other
  // chunks may follow it). Anything else is an unfinished recording.
  const bool consistent = riff_size_field == file_size - 8 && data_size_field <= available &&
                          data_size_field % block_align == 0;
  if (consistent) {
    r.data_bytes = data_size_field;
    r.frames = data_size_field / block_align;
    return r;
  }
  r.data_bytes = whole;
  r.frames = whole / block_align;

  // Cut a torn trailing frame, then make both size fields tell the truth.
  f.reset();
  std::filesystem::resize_file(path, data_start + whole, ec);
  if (ec) return fail(ErrorCode::kIo, "recover: truncate failed: " + ec.message());
  f.reset(std::fopen(path.c_str(), "r+b"));
  if (!f) return fail(ErrorCode::kIo, "recover: cannot reopen " + path.string());
  if (!write_at(f.get(), 4, static_cast<std::uint32_t>(data_start + whole - 8)) ||
      !write_at(f.get(), *data_size_offset, static_cast<std::uint32_t>(whole)) ||
      std::fflush(f.get()) != 0)
    return fail(ErrorCode::kIo, "recover: header rewrite failed");
  r.repaired = true;
  return r;
}

}  // namespace hotline::media
