// What one HTTP server of the library (the callback web server, the emulator) allows a client:
// connections in all and per peer address, how long a connection may wait before and during a
// request, and how large a request may be. Everything a network peer can exhaust has a limit
// here (docs/security.md, docs/deployment.md for the reverse proxy's side).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// What one HTTP server of the library (the callback web server, the emulator) allows a
/// client; everything a network peer can exhaust has a limit here (docs/security.md).
struct server_limits {
    /// Connections served at once; one more is answered 503 and closed.
    std::size_t max_connections = 1024;
    /// Connections one peer address may hold at once (0: no per-peer cap); one more is answered
    /// 503 and closed. A browser opens a handful; this keeps one client from holding them all.
    std::size_t max_connections_per_peer = 32;
    /// IPv6 peers are counted by their first this many bits, for the per-peer cap and the
    /// per-client limits (a /64 is what one subscriber gets; 128 counts each address). IPv4
    /// peers are counted by address.
    std::size_t ipv6_peer_prefix = 64;
    /// Peer addresses exempt from the per-peer cap: a reverse proxy in front of the server,
    /// which carries many clients' requests and limits each of them itself. Their requests'
    /// X-Forwarded-For names the client (its last entry that is not a trusted proxy) for the
    /// limits kept per client, such as the linked roles path's. Literal addresses ("127.0.0.1",
    /// "::1", "10.0.0.5"); anything else is refused when the server starts.
    std::vector<std::string> trusted_proxies{};
    /// From accepting a connection to the first byte of its first request (the TLS handshake
    /// included): an idle connection is closed after this.
    std::chrono::milliseconds first_byte_timeout{5'000};
    /// From a request's first byte to its last.
    std::chrono::milliseconds read_timeout{10'000};
    /// Between requests on a kept-alive connection.
    std::chrono::milliseconds idle_timeout{30'000};
    /// To write one answer.
    std::chrono::milliseconds write_timeout{10'000};
    std::size_t max_request_line = 8 * 1024; ///< over: 414
    std::size_t max_header_bytes = 16 * 1024; ///< the whole header block; over: 431
    std::size_t max_headers = 100;           ///< over: 431
    std::size_t max_body = 64 * 1024;        ///< Content-Length over: 413
};

} // namespace discord::oauth2
