// One HTTP request and its answer, as a web server the bot already runs (Boost.Beast, D++'s
// dpp::http_server, a framework behind a reverse proxy) hands them to the library's callback
// web server instead of letting it listen (web_server_config::listen, web_server::handle_request).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace discord::oauth2 {

/// A request the bot's own HTTP server received on one of the web server's paths (the
/// redirect URI's, and linked_roles_path and events_path when set). Every part is hostile
/// network input: the library checks it as its own listener checks a request.
struct incoming_request {
    std::string method = "GET"; ///< as received ("GET", "POST")
    /// The request target as received: path and query, still percent-encoded
    /// ("/callback?code=...&state=..."), not decoded by the bot's server.
    std::string target{};
    /// The header fields (name, value) as received; Cookie matters to the linked roles path,
    /// the X-Signature-* fields to the events path. The framing fields are the bot's server's
    /// own business and are ignored: Content-Length, Transfer-Encoding, Connection, Keep-Alive,
    /// Expect and Upgrade, and HTTP/2's pseudo-fields (":authority", ...). Host may be left out.
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{}; ///< the body, whole (the events path's POST)
    /// The client's address as the bot's server knows it ("203.0.113.7", "2001:db8::1", with a
    /// port or not: "203.0.113.7:51000", "[2001:db8::1]:51000"; behind a reverse proxy, the
    /// address the proxy forwarded for): the linked roles path limits each client by it
    /// (web_server_config::linked_roles_per_minute). Left empty (or not an address), the request
    /// is not counted per client.
    std::string peer{};
};

/// What to answer: the status, the header fields (Content-Type, Cache-Control, the security
/// headers of a page, Set-Cookie, Location) and the body. The bot's server sends them as they
/// are, adding only its own framing (Content-Length, Connection, Date). The body is empty for
/// a HEAD request.
struct outgoing_response {
    int status = 200;                                          ///< the HTTP status
    std::vector<std::pair<std::string, std::string>> headers{}; ///< header fields, in order
    std::string body{};                                          ///< the body
};

} // namespace discord::oauth2
