// The control interface of `discord-oauth2 serve`: HTTP/1.1 requests from the bot that uses the
// sidecar, on a Unix socket (mode 0600: only the user running serve can connect) or on a loopback
// TCP port where every request must carry the bearer key (Authorization: Bearer KEY). Requests
// are parsed by the server core's strict parser; a Unix connection carries one request.
#pragma once

#include "server/router.hpp"

#include <discord/oauth2/secret.hpp>

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cli {

namespace oauth2 = discord::oauth2;

/// One request the control interface answers.
struct control_route {
    std::string method;  ///< "GET", "POST", ...
    std::string pattern; ///< as server::router takes it: "/grants/{user}/token"
    oauth2::server::handler handler;
};

struct control_options {
    /// A Unix socket at this path; or, when empty, a TCP port on `tcp_address`.
    std::string unix_path;
    std::string tcp_address = "127.0.0.1"; ///< must be a loopback address
    std::uint16_t tcp_port = 0;            ///< 0: a free one
    /// Required for TCP: the keys a request may bear (any one of them; several while the key is
    /// rotated). Ignored for a Unix socket.
    std::vector<oauth2::secret> bearer_keys;
};

class control_server {
public:
    control_server(asio::any_io_executor executor, std::vector<control_route> routes, control_options options);
    ~control_server();
    control_server(const control_server&) = delete;
    control_server& operator=(const control_server&) = delete;

    /// Binds and serves. Throws `error`: invalid_argument (a TCP address off loopback, TCP without
    /// a key, a Unix path that exists and is not a socket), address_in_use (a live socket or port).
    void start();
    /// Accepts `keys` from now on instead of the bearer keys it had (a rotation, on SIGHUP).
    /// Throws `error` (invalid_argument) for an empty list. Thread-safe.
    void set_keys(std::vector<oauth2::secret> keys);
    /// Stops accepting, closes connections and removes the Unix socket's file.
    void stop();
    /// "unix:PATH" or "http://127.0.0.1:PORT".
    [[nodiscard]] std::string where() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

/// The keys in `file`: one a line, each at least 32 characters (blank lines and lines starting
/// with `#` ignored); several while the key is rotated. The file must not be readable by group
/// or others, nor a symbolic link. Throws `error` (invalid_argument) saying what is wrong (a bad
/// key by its line number), never a key.
[[nodiscard]] std::vector<oauth2::secret> read_control_keys(const std::string& file);

} // namespace cli
