// An HTTP response a route returns, and its serialisation on the wire.
#pragma once

#include "http/headers.hpp"

#include <string>
#include <string_view>

namespace discord::oauth2::server {

struct response {
    /// How the answer leaves. Anything but `normal` exists to simulate broken networks (the
    /// emulator's fault injection): the connection is closed either way.
    enum class delivery {
        normal,
        reset,    ///< close the connection with a TCP reset, sending nothing
        truncate, ///< send the head and half the body, then close
    };

    int status = 200;
    http::headers fields;
    std::string body;
    delivery how = delivery::normal;

    /// A response with `Content-Type` set and `body`.
    static response with_body(int status, std::string_view content_type, std::string body);
    /// `body` as `content_type` that no cache keeps (`Cache-Control: no-store`): an answer that
    /// holds a user's data, or says how things stand now (an API's JSON, a metrics scrape).
    static response uncached(int status, std::string_view content_type, std::string body);
    /// A JSON `body`, uncached.
    static response json(int status, std::string body);
    /// An HTML page for a person, with the headers every page carries (docs/security.md): no caching, no
    /// referrer, a CSP allowing inline style only, no MIME sniffing, no framing.
    static response page(int status, std::string html);
    /// A short plain-text response: the status line's reason and an optional detail.
    static response plain(int status, std::string_view detail = {});
};

/// "OK", "Not Found", ... ("Unknown" for codes we never send).
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

/// The status line and header block, with Content-Length from the body (and Connection: close
/// when `keep_alive` is false). The body is written after it, unless the request was HEAD.
[[nodiscard]] std::string serialize_head(const response& r, bool keep_alive);

} // namespace discord::oauth2::server
