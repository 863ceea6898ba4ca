// A deliberately dumb HTTP client over a raw loopback socket, for sending bytes no real client
// would send and reading exactly what the server answers.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace test {

struct raw_response {
    int status = 0;             ///< 0 when the connection closed before a status line
    std::string head;           ///< status line and headers
    std::string body;
    bool closed = false;        ///< the server closed the connection after this response
};

/// A socket and the bytes read past the last response (pipelined answers).
struct connection {
    asio::ip::tcp::socket socket;
    std::string pending;
};

asio::awaitable<connection> connect(std::uint16_t port, std::string_view host = "127.0.0.1");

/// As connect, from the local address `local` (another loopback address plays another peer).
asio::awaitable<connection> connect_from(std::string_view local, std::uint16_t port, std::string_view host = "127.0.0.1");

/// Reads one response (head, then Content-Length bytes). Gives up after `limit`.
asio::awaitable<raw_response> read_response(connection& c,
                                            std::chrono::milliseconds limit = std::chrono::milliseconds(5000));

/// Sends `bytes` on a new connection and reads one response.
asio::awaitable<raw_response> exchange(std::uint16_t port, std::string_view bytes);

/// Waits until the peer closes (true) or `limit` passes (false), discarding what arrives.
asio::awaitable<bool> wait_closed(connection& c, std::chrono::milliseconds limit);

/// The value of header `name` in a response head, or "".
std::string header_value(const std::string& head, std::string_view name);

} // namespace test
