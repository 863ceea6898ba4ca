// The strict HTTP/1.1 server core shared by the callback web server and the emulator:
// listeners on IPv4 and IPv6, optional TLS, keep-alive, read/idle/write timeouts against slow
// clients, and a cap on connections. Everything runs on one strand of the given executor, so
// the server is safe on a multi-threaded io_context and spawns no threads.
#pragma once

#include "server/request_parser.hpp"
#include "server/router.hpp"

#include <discord/oauth2/server_limits.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2::server {

struct tls_files {
    std::string certificate_chain_file; ///< PEM, leaf first
    std::string private_key_file;       ///< PEM, unencrypted
};

struct server_options {
    /// Addresses to listen on: "127.0.0.1", "::1", "0.0.0.0", "::" ...
    std::vector<std::string> addresses{"127.0.0.1"};
    /// 0 picks an ephemeral port, the same on every address; `server::port()` reports it.
    std::uint16_t port = 0;
    std::optional<tls_files> tls;
    /// Connections in all and per peer, timeouts and request sizes (parser limits from these).
    server_limits limits;
    /// How the server's own answers are made (no route 404, 405, a malformed request's 4xx, a
    /// handler's failure 500, the connection cap's 503), from the status and a detail that may
    /// be empty: response::plain when empty. An API answers in its own format (JSON).
    std::function<response(int status, std::string_view detail)> error_answer;
};

/// The request parser's share of `limits`.
[[nodiscard]] parser_limits parser_limits_of(const server_limits& limits) noexcept;

class server {
public:
    server(asio::any_io_executor executor, router routes, server_options options = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens on every address, then accepts in the background.
    /// Throws `error` (address_in_use, invalid_argument) when it cannot.
    void start();

    /// Stops accepting and closes every connection (on the server's strand).
    void stop();
    /// Stops accepting; connections already open are served until they close or stop() is called.
    void stop_accepting();

    [[nodiscard]] std::uint16_t port() const noexcept;
    [[nodiscard]] std::vector<asio::ip::tcp::endpoint> local_endpoints() const;

    struct statistics {
        std::uint64_t accepted = 0;         ///< TCP connections accepted
        std::uint64_t rejected = 0;         ///< of which turned away over a cap (in all or per peer)
        std::uint64_t rejected_per_peer = 0; ///< of which over the per-peer cap
        std::uint64_t requests = 0;         ///< requests answered, errors included
        std::size_t active = 0;             ///< connections open now
    };
    /// A snapshot; read it from the server's executor.
    [[nodiscard]] statistics stats() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace discord::oauth2::server
