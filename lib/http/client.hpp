// Layer 1: outgoing HTTP on libcurl's multi interface, driven by an Asio executor.
//
//   http::client http(executor);
//   auto r = co_await http.send({.method = "GET", .url = "https://discord.com/api/v10/users/@me"});
//
// One client owns one CURLM: connections are reused across requests, HTTP/2 multiplexes when
// the server offers it, and thousands of requests run concurrently on one thread. `send` is
// cancellable through Asio cancellation slots (so `co_await (send(r) || timer)` works): a
// cancelled transfer leaves curl at once. Failures throw `discord::oauth2::error`.
#pragma once

#include "http/headers.hpp"
#include "http/padded_buffer.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace discord::oauth2::http {

struct request {
    std::string method = "GET";
    std::string url;
    http::headers fields;
    std::string body;
    /// Overrides `client_options::timeout` for this request.
    std::optional<std::chrono::milliseconds> timeout;
};

struct response {
    int status = 0;
    http::headers fields;
    padded_buffer body;
    /// 10, 11, 20 or 30 for HTTP/1.0, 1.1, 2 and 3.
    int version = 0;
};

/// Overwrites the body and the header fields (core::wipe), then empties them: for a request that
/// carried credentials, once it has been sent for the last time.
void wipe(request& r) noexcept;

/// The same for a response's body and fields: for an answer that carried tokens.
void wipe(response& r) noexcept;

/// A request that wipes its body and fields when it is destroyed: one that carries credentials,
/// held until it is sent for the last time (the client's shared requests, and what
/// send(request&&) takes over until its transfer is made).
struct wiped_request : request {
    explicit wiped_request(request&& r) noexcept : request(std::move(r)) {}
    wiped_request(wiped_request&&) noexcept = default;
    wiped_request(const wiped_request&) = delete;
    wiped_request& operator=(const wiped_request&) = delete;
    wiped_request& operator=(wiped_request&&) = delete;
    ~wiped_request() { wipe(*this); }
};

struct client_options {
    /// Whole-request timeout unless the request sets its own.
    std::chrono::milliseconds timeout{30'000};
    std::chrono::milliseconds connect_timeout{10'000};
    /// A PEM bundle of trusted CAs; empty uses the system's store.
    std::string ca_file;
    /// Verify the server's certificate and name. Turn off only for throwaway local tests.
    bool verify_tls = true;
    /// "http://host:port" or "socks5://...". Empty means no proxy, whatever the environment says.
    std::string proxy;
    /// Larger bodies fail with `errc::response_too_large`; they are never truncated.
    std::size_t max_response_bytes = 8 * 1024 * 1024;
    std::string user_agent = "discord-oauth2 (https://github.com/discord-oauth2/discord-oauth2, 0.1)";
    /// Connections kept open for reuse; 0 sizes the cache by the most requests ever in flight
    /// at once (eight per request). A cache smaller than the number of requests in flight
    /// closes connections it could reuse.
    std::size_t max_idle_connections = 0;
};

class client {
public:
    using executor_type = asio::any_io_executor;

    explicit client(executor_type executor, client_options options = {});
    /// Pending requests complete with `errc::cancelled`.
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Sends `req` and returns the whole response, whatever its status. The request is
    /// taken over before this returns, so temporaries are safe.
    [[nodiscard]] asio::awaitable<response> send(request&& req);
    [[nodiscard]] asio::awaitable<response> send(const request& req);
    /// The same for a request the caller may send again (a retry): shared, not copied, and
    /// kept alive by the transfer until it completes.
    [[nodiscard]] asio::awaitable<response> send(const std::shared_ptr<const request>& req);

    [[nodiscard]] executor_type get_executor() const noexcept;
    /// New TCP connections made so far (reused ones are not counted).
    [[nodiscard]] std::uint64_t connections_opened() const noexcept;

    struct impl;

private:
    template <class Source> // a request taken over (wiped unless sent), or std::shared_ptr<const request>
    asio::awaitable<response> start(Source source);

    std::shared_ptr<impl> impl_;
};

} // namespace discord::oauth2::http
