// A strict, bounded, incremental HTTP/1.1 request parser written for this project.
//
// It accepts only what RFC 9112 requires a server to accept and rejects everything a
// smuggling or slow-client attack would need: obs-fold, bare CR or LF, NUL and other control
// bytes, whitespace before a colon, Transfer-Encoding, duplicate or malformed Content-Length,
// bodies on GET and HEAD, and anything over the configured sizes. Each rejection carries the
// status to answer with and a short reason for logs (never echoing the input).
#pragma once

#include "server/request.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace discord::oauth2::server {

struct parser_limits {
    std::size_t max_request_line = 8 * 1024;   ///< over: 414
    std::size_t max_header_bytes = 16 * 1024;  ///< the whole header block; over: 431
    std::size_t max_headers = 100;             ///< over: 431
    std::size_t max_body = 64 * 1024;          ///< Content-Length over: 413
};

class request_parser {
public:
    enum class result {
        need_more, ///< every byte was consumed; feed more
        complete,  ///< a whole request is ready in `get()`; bytes after it were not consumed
        error,     ///< `error_status()` and `error_reason()` say why; the connection must close
    };

    explicit request_parser(parser_limits limits = {}) : limits_(limits) {}

    /// Consumes bytes from `data` and reports how many in `consumed`.
    result feed(std::string_view data, std::size_t& consumed);

    /// The parsed request, valid after `complete`; may be moved from.
    [[nodiscard]] request& get() noexcept { return request_; }
    /// True once the head is parsed and the client waits for "100 Continue" before the body.
    [[nodiscard]] bool awaiting_continue() const noexcept { return state_ == state::body && expects_continue_; }
    /// True while part of a request has been received.
    [[nodiscard]] bool started() const noexcept { return state_ != state::method || !request_.method.empty(); }
    [[nodiscard]] int error_status() const noexcept { return error_status_; }
    [[nodiscard]] std::string_view error_reason() const noexcept { return error_reason_; }

    /// Prepares for the next request on the same connection.
    void reset();

private:
    enum class state {
        method, target, version, request_line_lf, field_start, name, before_value, value, field_lf, head_lf,
        body, done, failed,
    };

    result fail(int status, const char* reason);
    result finish_head();

    parser_limits limits_;
    state state_ = state::method;
    request request_;
    std::string version_;
    std::string name_;
    std::string value_;
    std::size_t request_line_bytes_ = 0;
    std::size_t header_bytes_ = 0;
    std::size_t body_remaining_ = 0;
    bool expects_continue_ = false;
    int error_status_ = 0;
    const char* error_reason_ = "";
};

} // namespace discord::oauth2::server
