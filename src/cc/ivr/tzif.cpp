#include "cc/ivr/tzif.hpp"

#include <algorithm>
#include <cctype>

namespace hotline::cc::ivr {

namespace {

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
  std::uint64_t be(std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes_[pos_++]);
    return v;
  }
  void skip(std::size_t n) { pos_ += n; }
  std::string_view rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct Counts {
  std::uint64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool header(Reader& r, Counts& c, char& version) {
  if (!r.has(44) || r.rest().substr(0, 4) != "TZif") return false;
  r.skip(4);
  version = static_cast<char>(r.be(1));
  r.skip(15);
  c.isut = r.be(4);
  c.isstd = r.be(4);
  c.leap = r.be(4);
  c.time = r.be(4);
  c.type = r.be(4);
  c.chars = r.be(4);
  return c.type > 0 && c.type <= 256 && c.time <= 100'000 && c.chars <= 100'000 &&
         c.leap <= 100'000 && c.isut <= 256 && c.isstd <= 256;
}

std::int32_t as_i32(std::uint64_t v) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
}

// [+-]hh[:mm[:ss]] -> seconds.
std::optional<std::int64_t> posix_time(std::string_view& s) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  std::int64_t total = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != ':') break;
      s.remove_prefix(1);
    }
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    std::int64_t v = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) && v < 1000) {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
    }
    total += v * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  return sign * total;
}

bool posix_name(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    const auto close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  std::size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n < 3) return false;
  s.remove_prefix(n);
  return true;
}

std::optional<int> small_int(std::string_view& s) {
  int v = 0;
  std::size_t n = 0;
  while (n < s.size() && n < 3 && std::isdigit(static_cast<unsigned char>(s[n]))) {
    v = v * 10 + (s[n] - '0');
    ++n;
  }
  if (n == 0) return std::nullopt;
  s.remove_prefix(n);
  return v;
}

std::optional<TzifZone::RuleDate> rule_date(std::string_view& s) {
  if (s.empty() || s[0] != 'M') return std::nullopt;
  s.remove_prefix(1);
  TzifZone::RuleDate d;
  auto m = small_int(s);
  if (!m || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  auto w = small_int(s);
  if (!w || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  auto wd = small_int(s);
  if (!wd || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *wd > 6) return std::nullopt;
  d.month = *m;
  d.week = *w;
  d.weekday = *wd;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    auto t = posix_time(s);
    if (!t) return std::nullopt;
    d.time = *t;
  }
  return d;
}

// Seconds since the epoch of a rule date in `year`, in local time of `offset`.
std::int64_t transition_utc(int year, const TzifZone::RuleDate& d, std::int64_t offset) {
  using namespace std::chrono;
  const year_month ym{std::chrono::year{year}, month{static_cast<unsigned>(d.month)}};
  const sys_days first{ym / 1};
  const int first_wd = static_cast<int>(weekday{first}.c_encoding());
  int day = 1 + (d.weekday - first_wd + 7) % 7 + (d.week - 1) * 7;
  const int last_day = static_cast<int>(unsigned{(ym / last).day()});
  while (day > last_day) day -= 7;
  const sys_days date = first + days{day - 1};
  return duration_cast<seconds>(date.time_since_epoch()).count() + d.time - offset;
}

}  // namespace

std::optional<TzifZone::PosixRule> parse_posix_tz(std::string_view s) {
  TzifZone::PosixRule rule;
  if (!posix_name(s)) return std::nullopt;
  auto std_off = posix_time(s);
  if (!std_off) return std::nullopt;
  rule.std_offset = -*std_off;  // POSIX counts west of UTC as positive
  if (s.empty()) return rule;
  if (!posix_name(s)) return std::nullopt;
  rule.dst_offset = rule.std_offset + 3600;
  if (!s.empty() && s[0] != ',') {
    auto dst_off = posix_time(s);
    if (!dst_off) return std::nullopt;
    rule.dst_offset = -*dst_off;
  }
  if (s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  auto start = rule_date(s);
  if (!start || s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  auto end = rule_date(s);
  if (!end || !s.empty()) return std::nullopt;
  rule.start = *start;
  rule.end = *end;
  return rule;
}

Result<TzifZone> TzifZone::parse(std::string_view bytes) {
  const auto bad = [](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument, "not a TZif file: " + std::string(why));
  };
  Reader r(bytes);
  Counts c;
  char version = 0;
  if (!header(r, c, version)) return bad("bad header");
  if (version < '2') return bad("version 1 files are not supported");
  const std::uint64_t v1 = c.time * 5 + c.type * 6 + c.chars + c.leap * 8 + c.isstd + c.isut;
  if (!r.has(v1)) return bad("truncated");
  r.skip(v1);
  if (!header(r, c, version)) return bad("bad second header");
  const std::uint64_t v2 = c.time * 9 + c.type * 6 + c.chars + c.leap * 12 + c.isstd + c.isut;
  if (!r.has(v2)) return bad("truncated");
  TzifZone z;
  std::vector<std::int64_t> times(c.time);
  for (auto& t : times) t = static_cast<std::int64_t>(r.be(8));
  std::vector<std::uint8_t> idx(c.time);
  for (auto& i : idx) i = static_cast<std::uint8_t>(r.be(1));
  std::vector<std::int32_t> type_offsets(c.type);
  for (auto& o : type_offsets) {
    o = as_i32(r.be(4));
    r.skip(2);
  }
  r.skip(c.chars + c.leap * 12 + c.isstd + c.isut);
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (idx[i] >= type_offsets.size()) return bad("bad type index");
    if (i > 0 && times[i] < times[i - 1]) return bad("transitions out of order");
  }
  z.transitions_ = std::move(times);
  for (auto i : idx) z.offsets_.push_back(type_offsets[i]);
  z.initial_offset_ = type_offsets[0];
  std::string_view footer = r.rest();
  if (footer.size() >= 2 && footer.front() == '\n') {
    footer.remove_prefix(1);
    const auto nl = footer.find('\n');
    if (nl != std::string_view::npos) z.rule_ = parse_posix_tz(footer.substr(0, nl));
  }
  return z;
}

std::chrono::seconds TzifZone::utc_offset(Timestamp at) const {
  const std::int64_t t =
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  if (!transitions_.empty() && t < transitions_.front()) {
    return std::chrono::seconds(initial_offset_);
  }
  if (rule_ && (transitions_.empty() || t >= transitions_.back())) {
    const PosixRule& p = *rule_;
    if (!p.dst_offset) return std::chrono::seconds(p.std_offset);
    const auto local_day =
        std::chrono::floor<std::chrono::days>(Timestamp(std::chrono::seconds(t + p.std_offset)));
    const int year = static_cast<int>(std::chrono::year_month_day{local_day}.year());
    const std::int64_t start = transition_utc(year, p.start, p.std_offset);
    const std::int64_t end = transition_utc(year, p.end, *p.dst_offset);
    const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return std::chrono::seconds(dst ? *p.dst_offset : p.std_offset);
  }
  if (transitions_.empty()) return std::chrono::seconds(initial_offset_);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return std::chrono::seconds(offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1]);
}

std::optional<std::chrono::seconds> TzifZones::utc_offset(std::string_view zone,
                                                          Timestamp at) const {
  if (auto fixed = fixed_.utc_offset(zone, at)) return fixed;
  auto it = cache_.find(zone);
  if (it == cache_.end()) {
    std::optional<TzifZone> parsed;
    const bool safe = !zone.empty() && zone.size() <= 64 && zone.front() != '/' &&
                      zone.find("..") == std::string_view::npos &&
                      std::all_of(zone.begin(), zone.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                               c == '_' || c == '-' || c == '+';
                      });
    if (safe && read_) {
      if (auto bytes = read_(zone)) {
        if (auto z = TzifZone::parse(*bytes)) parsed = std::move(*z);
      }
    }
    it = cache_.emplace(std::string(zone), std::move(parsed)).first;
  }
  if (!it->second) return std::nullopt;
  return it->second->utc_offset(at);
}

}  // namespace hotline::cc::ivr
