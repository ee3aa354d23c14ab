// Measurements on 16-bit PCM used by tests and diagnostics: tone synthesis, RMS level,
// single-frequency power (Goertzel via spandsp would need state; this is a plain DFT bin),
// the dominant frequency in a band, and SNR after aligning for codec delay. Pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace hotline::media::analysis {

inline std::vector<std::int16_t> sine(double freq_hz, int rate, std::size_t samples,
                                      double amplitude = 8000.0, double phase = 0.0) {
  std::vector<std::int16_t> out(samples);
  for (std::size_t i = 0; i < samples; ++i)
    out[i] = static_cast<std::int16_t>(
        std::lround(amplitude * std::sin(phase + 2.0 * std::numbers::pi * freq_hz *
                                                     static_cast<double>(i) / rate)));
  return out;
}

inline double rms(std::span<const std::int16_t> x) {
  if (x.empty()) return 0.0;
  double sum = 0.0;
  for (auto v : x) sum += static_cast<double>(v) * v;
  return std::sqrt(sum / static_cast<double>(x.size()));
}

// Magnitude of the component at `freq_hz`, normalised to the amplitude of a pure sine.
inline double tone_amplitude(std::span<const std::int16_t> x, double freq_hz, int rate) {
  if (x.empty()) return 0.0;
  double re = 0.0, im = 0.0;
  const double w = 2.0 * std::numbers::pi * freq_hz / rate;
  for (std::size_t i = 0; i < x.size(); ++i) {
    re += x[i] * std::cos(w * static_cast<double>(i));
    im -= x[i] * std::sin(w * static_cast<double>(i));
  }
  return 2.0 * std::sqrt(re * re + im * im) / static_cast<double>(x.size());
}

// The frequency in [lo, hi] (step Hz) with the largest component.
inline double dominant_frequency(std::span<const std::int16_t> x, int rate, double lo = 50.0,
                                 double hi = 4000.0, double step = 10.0) {
  double best_f = lo, best_a = -1.0;
  for (double f = lo; f <= hi; f += step) {
    const double a = tone_amplitude(x, f, rate);
    if (a > best_a) {
      best_a = a;
      best_f = f;
    }
  }
  return best_f;
}

// SNR in dB of `decoded` against `reference`, at the lag in [0, max_lag] where they match
// best (codecs add delay), with a least-squares gain so level changes are not noise.
inline double snr_db(std::span<const std::int16_t> reference, std::span<const std::int16_t> decoded,
                     std::size_t max_lag) {
  double best = -1e9;
  for (std::size_t lag = 0; lag <= max_lag && lag < decoded.size(); ++lag) {
    const std::size_t n = std::min(reference.size(), decoded.size() - lag);
    if (n == 0) break;
    double rr = 0, rd = 0;
    for (std::size_t i = 0; i < n; ++i) {
      rr += static_cast<double>(reference[i]) * reference[i];
      rd += static_cast<double>(reference[i]) * decoded[i + lag];
    }
    if (rr == 0) return 0.0;
    const double g = rd / rr;
    double sig = 0, noise = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double s = g * reference[i];
      const double e = decoded[i + lag] - s;
      sig += s * s;
      noise += e * e;
    }
    const double snr = noise == 0 ? 200.0 : 10.0 * std::log10(sig / noise);
    if (snr > best) best = snr;
  }
  return best;
}

}  // namespace hotline::media::analysis
