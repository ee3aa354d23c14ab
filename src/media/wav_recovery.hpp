// Repairs a WAV file whose writer died before finalising it: the RIFF and data chunk
// sizes are rewritten from the bytes really on disk, and a torn last sample frame is cut.
// Blocking file I/O; safe to run on any thread for a file nobody is writing.
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/error.hpp"

namespace hotline::media {

struct WavRecovery {
  bool repaired = false;         // false: the header already matched the data
  std::uint64_t data_bytes = 0;  // audio bytes after repair
  std::uint32_t sample_rate = 0;
  std::uint16_t channels = 0;
  std::uint64_t frames = 0;  // sample frames (one sample per channel)
  double duration_seconds() const {
    return sample_rate ? static_cast<double>(frames) / sample_rate : 0.0;
  }
};

// Errors: kInvalidArgument when the file is not a RIFF/WAVE file with fmt and data chunks
// (nothing we can trust to fix), kIo when it cannot be read or rewritten.
Result<WavRecovery> recover_wav(const std::filesystem::path& path);

}  // namespace hotline::media
