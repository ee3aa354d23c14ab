// UDP plumbing shared by the load generators (bench/sipload, bench/callload):
// IPv4 addresses, non-blocking sockets with large buffers, and batched
// sendmmsg/recvmmsg. Header-only; the tools are single-threaded and so is this.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::bench {

// "127.0.0.1:5060" (the port defaults to `default_port` when absent).
inline sockaddr_in parse_address(const std::string& host_port, int default_port = 5060) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  const auto colon = host_port.rfind(':');
  const std::string host = colon == std::string::npos ? host_port : host_port.substr(0, colon);
  const int port =
      colon == std::string::npos ? default_port : std::stoi(host_port.substr(colon + 1));
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + host);
  }
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  return a;
}

struct UdpSocket {
  int fd = -1;
  int port = 0;  // the local port the kernel chose
};

// A non-blocking UDP socket bound to `ip` on a free port, with 8 MiB buffers.
inline UdpSocket open_udp_socket(const std::string& ip) {
  UdpSocket s;
  s.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (s.fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  const int buf = 8 << 20;
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in local = parse_address(ip + ":0");
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    const std::string error = std::strerror(errno);
    ::close(s.fd);
    throw std::runtime_error("bind " + ip + ": " + error);
  }
  socklen_t len = sizeof local;
  ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&local), &len);
  s.port = ntohs(local.sin_port);
  return s;
}

// Sends the queued datagrams to `to` in sendmmsg batches and removes those sent.
// A full socket buffer (EAGAIN/ENOBUFS) leaves the rest queued for the next call;
// other failures drop the batch and are counted in `errors`.
inline void send_batch(int fd, std::vector<std::string>& queue, const sockaddr_in& to,
                       std::uint64_t& errors) {
  constexpr std::size_t kBatch = 64;
  std::size_t done = 0;
  while (done < queue.size()) {
    const std::size_t n = std::min(kBatch, queue.size() - done);
    mmsghdr msgs[kBatch]{};
    iovec iov[kBatch]{};
    for (std::size_t i = 0; i < n; ++i) {
      iov[i].iov_base = queue[done + i].data();
      iov[i].iov_len = queue[done + i].size();
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
      msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    const int sent = ::sendmmsg(fd, msgs, static_cast<unsigned>(n), 0);
    if (sent <= 0) {
      if (errno == EAGAIN || errno == ENOBUFS) break;  // retry on the next round
      ++errors;
      done += n;
      continue;
    }
    done += static_cast<std::size_t>(sent);
  }
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(done));
}

// Reads every waiting datagram in recvmmsg batches and hands each to
// `on_datagram(std::string_view bytes, const sockaddr_in& from)`; the view is
// valid during the call only.
template <typename F>
void receive_batches(int fd, F&& on_datagram) {
  constexpr std::size_t kBatch = 64;
  constexpr std::size_t kMax = 4096;
  static char bufs[kBatch][kMax];
  static sockaddr_in from[kBatch];
  for (;;) {
    mmsghdr msgs[kBatch]{};
    iovec iov[kBatch]{};
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = kMax;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    const int n = ::recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) on_datagram(std::string_view(bufs[i], msgs[i].msg_len), from[i]);
    if (static_cast<std::size_t>(n) < kBatch) return;
  }
}

}  // namespace hotline::bench
