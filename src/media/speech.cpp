#include "media/speech.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <cstdio>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "media/resampler.hpp"

namespace hotline::media {
namespace {

std::mutex& espeak_mutex() {
  // espeak-ng keeps its state in globals; one synthesis at a time per process.
  static std::mutex m;
  return m;
}

int on_samples(short* wav, int count, espeak_EVENT* events) {
  if (wav && count > 0 && events && events->user_data) {
    auto* out = static_cast<std::vector<std::int16_t>*>(events->user_data);
    out->insert(out->end(), wav, wav + count);
  }
  return 0;  // continue
}

std::string status_message(espeak_ng_STATUS st) {
  std::array<char, 512> buf{};
  espeak_ng_GetStatusCodeMessage(st, buf.data(), buf.size());
  return std::string(buf.data());
}

// Initialises espeak-ng once per process; returns its output sample rate. REQUIRES: mutex held.
Result<int> ensure_initialised() {
  static int rate = 0;
  if (rate > 0) return rate;
  espeak_ng_InitializePath(nullptr);
  if (auto st = espeak_ng_Initialize(nullptr); st != ENS_OK)
    return fail(ErrorCode::kUnavailable, "espeak-ng init: " + status_message(st));
  if (auto st = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr); st != ENS_OK)
    return fail(ErrorCode::kUnavailable, "espeak-ng output: " + status_message(st));
  espeak_SetSynthCallback(&on_samples);
  rate = espeak_ng_GetSampleRate();
  if (rate <= 0) return fail(ErrorCode::kUnavailable, "espeak-ng reports no sample rate");
  return rate;
}

}  // namespace

Result<AudioClip> synthesize(std::string_view text, const VoiceSettings& voice, int sample_rate) {
  if (text.empty()) return fail(ErrorCode::kInvalidArgument, "speech: empty text");
  if (text.size() > kMaxSpeechTextBytes)
    return fail(ErrorCode::kInvalidArgument, "speech: text too long");
  if (voice.words_per_minute < espeakRATE_MINIMUM || voice.words_per_minute > espeakRATE_MAXIMUM)
    return fail(ErrorCode::kInvalidArgument, "speech: rate out of range");
  if (voice.voice.empty() || voice.voice.size() > 64)
    return fail(ErrorCode::kInvalidArgument, "speech: bad voice name");

  std::vector<std::int16_t> pcm;
  int espeak_rate = 0;
  {
    std::lock_guard lock(espeak_mutex());
    auto r = ensure_initialised();
    if (!r) return std::unexpected(r.error());
    espeak_rate = *r;
    if (auto st = espeak_ng_SetVoiceByName(voice.voice.c_str()); st != ENS_OK)
      return fail(ErrorCode::kNotFound,
                  "speech: unknown voice '" + voice.voice + "': " + status_message(st));
    espeak_SetParameter(espeakRATE, voice.words_per_minute, 0);
    const std::string z(text);  // espeak wants a NUL-terminated buffer
    auto st = espeak_ng_Synthesize(z.c_str(), z.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                   nullptr, &pcm);
    if (st != ENS_OK)
      return fail(ErrorCode::kInternal, "speech: synthesis failed: " + status_message(st));
  }
  if (pcm.empty()) return fail(ErrorCode::kInvalidArgument, "speech: text produced no audio");
  auto converted = resample_all(pcm, espeak_rate, sample_rate);
  if (!converted) return std::unexpected(converted.error());
  return AudioClip{sample_rate, std::move(*converted)};
}

std::string speech_cache_key(std::string_view text, const VoiceSettings& voice, int sample_rate) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // field separator, so ("ab","c") and ("a","bc") differ
    h *= 1099511628211ULL;
  };
  mix(text);
  mix(voice.voice);
  mix(std::to_string(voice.words_per_minute));
  mix(std::to_string(sample_rate));
  mix(espeak_Info(nullptr));  // a new engine version may sound different: new key
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(h));
  return std::string(hex.data());
}

std::filesystem::path SpeechCache::path_for(std::string_view text, const VoiceSettings& voice,
                                            int sample_rate) const {
  return dir_ / (speech_cache_key(text, voice, sample_rate) + ".wav");
}

Result<AudioClip> SpeechCache::get(std::string_view text, const VoiceSettings& voice,
                                   int sample_rate) {
  const auto path = path_for(text, voice, sample_rate);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto clip = load_audio_file(path, sample_rate);
    if (clip) {
      ++hits_;
      return clip;
    }
    // A corrupt cache entry is re-synthesised rather than failing the prompt.
  }
  ++misses_;
  auto clip = synthesize(text, voice, sample_rate);
  if (!clip) return clip;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return fail(ErrorCode::kIo,
                "speech cache: cannot create " + dir_.string() + ": " + ec.message());
  auto tmp = path;
  tmp += ".tmp" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  if (auto st = save_wav(tmp, *clip); !st) return std::unexpected(st.error());
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return fail(ErrorCode::kIo, "speech cache: cannot publish " + path.string());
  }
  return clip;
}

}  // namespace hotline::media
