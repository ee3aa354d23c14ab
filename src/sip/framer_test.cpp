#include "sip/framer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hotline::sip {
namespace {

std::string options_request(std::string body = "", std::string extra = "") {
  return "OPTIONS sip:hotline.example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 192.0.2.7:40000;branch=z9hG4bKopt\r\n"
         "From: <sip:mon@example.com>;tag=1\r\n"
         "To: <sip:hotline.example.com>\r\n"
         "Call-ID: opt-1\r\n"
         "CSeq: 1 OPTIONS\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(StreamFramer, WholeMessageAtOnce) {
  const std::string msg = options_request("hello");
  StreamFramer framer;
  Frame f = framer.next(msg);
  ASSERT_EQ(f.status, FrameStatus::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

TEST(StreamFramer, ByteByByteIsResumable) {
  const std::string msg = options_request("body bytes");
  StreamFramer framer;
  for (std::size_t n = 1; n < msg.size(); ++n) {
    ASSERT_EQ(framer.next(std::string_view(msg).substr(0, n)).status, FrameStatus::kNeedMore) << n;
  }
  Frame f = framer.next(msg);
  ASSERT_EQ(f.status, FrameStatus::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

TEST(StreamFramer, BackToBackMessagesAndKeepAlives) {
  const std::string a = options_request("A");
  const std::string b = options_request("", "l_ignored: 9\r\n");
  std::string stream = "\r\n\r\n" + a + b + "\r\n";
  StreamFramer framer;
  std::string_view pending = stream;
  Frame f = framer.next(pending);
  ASSERT_EQ(f.status, FrameStatus::kKeepAlive);
  EXPECT_EQ(f.length, 4u);
  pending.remove_prefix(f.length);
  f = framer.next(pending);
  ASSERT_EQ(f.status, FrameStatus::kMessage);
  EXPECT_EQ(pending.substr(0, f.length), a);
  pending.remove_prefix(f.length);
  f = framer.next(pending);
  ASSERT_EQ(f.status, FrameStatus::kMessage);
  EXPECT_EQ(pending.substr(0, f.length), b);
  pending.remove_prefix(f.length);
  f = framer.next(pending);
  ASSERT_EQ(f.status, FrameStatus::kKeepAlive);
  EXPECT_EQ(f.length, 2u);
}

TEST(StreamFramer, CompactAndFoldedContentLength) {
  std::string msg = options_request("xyz");
  msg.replace(msg.find("Content-Length: 3"), 17, "l:\r\n  3");
  StreamFramer framer;
  Frame f = framer.next(msg);
  ASSERT_EQ(f.status, FrameStatus::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

TEST(StreamFramer, RefusesWhatCannotBeFramed) {
  std::string no_length = options_request();
  no_length.replace(no_length.find("Content-Length: 0\r\n"), 19, "");
  EXPECT_EQ(StreamFramer().next(no_length).status, FrameStatus::kError);

  std::string two_lengths = options_request("", "Content-Length: 0\r\n");
  EXPECT_EQ(StreamFramer().next(two_lengths).status, FrameStatus::kError);

  std::string negative = options_request();
  negative.replace(negative.find("Content-Length: 0"), 17, "Content-Length: -1");
  EXPECT_EQ(StreamFramer().next(negative).status, FrameStatus::kError);

  std::string bare_lf = "OPTIONS sip:x SIP/2.0\nVia: y\n\n";
  EXPECT_EQ(StreamFramer().next(bare_lf).status, FrameStatus::kError);
}

TEST(StreamFramer, CapsStopEndlessOrHugeInput) {
  ParseOptions limits;
  limits.max_message_size = 1024;
  limits.max_header_line = 200;
  limits.max_headers = 10;

  StreamFramer never_ends(limits);
  std::string headers = "OPTIONS sip:x SIP/2.0\r\n";
  Frame f;
  while (f.status == FrameStatus::kNeedMore && headers.size() < 4096) {
    headers += "X-Pad: 0123456789\r\n";
    f = never_ends.next(headers);
  }
  EXPECT_EQ(f.status, FrameStatus::kError);
  EXPECT_NE(f.error.reason.find("too many headers"), std::string::npos);

  StreamFramer long_line(limits);
  EXPECT_EQ(long_line.next("OPTIONS sip:x SIP/2.0\r\nX: " + std::string(300, 'a')).status,
            FrameStatus::kError);

  StreamFramer huge_body(limits);
  std::string big = options_request();
  big.replace(big.find("Content-Length: 0"), 17, "Content-Length: 5000");
  f = huge_body.next(big);
  EXPECT_EQ(f.status, FrameStatus::kError);
  EXPECT_EQ(f.error.status, 513);
}

}  // namespace
}  // namespace hotline::sip
