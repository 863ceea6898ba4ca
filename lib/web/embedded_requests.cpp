// The web server's paths as routes, for its own listener and for a bot's own HTTP server
// (web_server::handle_request): one router, one set of checks, whoever received the request.
#include "web/web_server_impl.hpp"

#include "http/headers.hpp"
#include "server/request_parser.hpp"

#include <fmt/format.h>

namespace discord::oauth2 {
namespace {

outgoing_response to_outgoing(server::response r)
{
    outgoing_response out;
    out.status = r.status;
    out.headers.reserve(r.fields.size());
    for (const auto& f : r.fields)
        out.headers.emplace_back(std::string(f.first), std::string(f.second));
    out.body = std::move(r.body);
    return out;
}

// The server's own plain answer: a request refused, or a handler that failed.
outgoing_response refused(int status, std::string_view detail = {})
{
    return to_outgoing(server::response::plain(status, detail));
}

// The bot's server frames the message; its framing fields would contradict ours.
bool is_framing(std::string_view name) noexcept
{
    return http::iequals(name, "content-length") || http::iequals(name, "transfer-encoding")
        || http::iequals(name, "connection") || http::iequals(name, "keep-alive") || http::iequals(name, "expect")
        || http::iequals(name, "upgrade");
}

// An address as servers print a peer: "203.0.113.7", "2001:db8::1", with a port or not
// ("203.0.113.7:51000", "[2001:db8::1]:51000").
std::optional<asio::ip::address> address_of(std::string_view text)
{
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        text = text.substr(1, close - 1);
    } else if (auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        text = text.substr(0, colon); // IPv4 with a port; two colons or more are IPv6
    }
    std::error_code ec;
    auto address = asio::ip::make_address(std::string(text), ec);
    if (ec)
        return std::nullopt;
    return address;
}

} // namespace

server::router web_server::impl::make_routes()
{
    server::router r;
    std::weak_ptr<impl> weak = shared_from_this();
    r.add("GET", path, [weak](server::request& req) -> asio::awaitable<server::response> {
        auto self = weak.lock();
        if (!self)
            co_return server::response::plain(503);
        co_return co_await self->callback(req);
    });
    if (!config.linked_roles_path.empty())
        r.add("GET", config.linked_roles_path, [weak](server::request& req) -> asio::awaitable<server::response> {
            auto self = weak.lock();
            if (!self)
                co_return server::response::plain(503);
            co_return self->start_linked_role(req.peer);
        });
    if (verify_key)
        r.add("POST", config.events_path, [weak](server::request& req) -> asio::awaitable<server::response> {
            auto self = weak.lock();
            if (!self)
                co_return server::response::plain(503);
            co_return co_await self->webhook(req);
        });
    return r;
}

asio::awaitable<outgoing_response> web_server::impl::serve_embedded(std::shared_ptr<impl> self, incoming_request request)
{
    const auto& routes = self->routes;
    if (!self->serving || !routes)
        co_return refused(503, "the web server is not running");
    // What another server parsed is put back into HTTP/1.1 and read by the same strict parser
    // as the listener's, under the same limits; a name or value that could not have been one
    // line of a request (CR, LF, NUL, a non-token name) is refused before, so nothing can be
    // smuggled past the parser as a second request or a field of our own.
    if (!http::is_token(request.method))
        co_return refused(400, "bad method");
    if (!request.target.starts_with('/') || http::breaks_line(request.target)
        || request.target.find(' ') != std::string::npos)
        co_return refused(400, "the target must be a path and query (origin-form)");
    // The limits first, before anything is copied: the parser would refuse the same, later.
    const auto& limits = self->config.limits;
    if (request.method.size() + request.target.size() + 10 > limits.max_request_line)
        co_return refused(414, "request line too long");
    if (request.headers.size() > limits.max_headers)
        co_return refused(431, "too many header fields");
    if (request.body.size() > limits.max_body)
        co_return refused(413, "body too large");
    std::string raw;
    raw.reserve(request.method.size() + request.target.size() + request.body.size() + 256);
    raw.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
    bool has_host = false;
    for (const auto& [name, value] : request.headers) {
        // HTTP/2's pseudo-fields (":authority", ":path", ...) are the bot's server's framing.
        if (name.starts_with(':') && !http::breaks_line(value))
            continue;
        if (!http::is_token(name) || http::breaks_line(value))
            co_return refused(400, "bad header field");
        if (is_framing(name))
            continue;
        has_host = has_host || http::iequals(name, "host");
        raw.append(name).append(": ").append(value).append("\r\n");
        if (raw.size() > limits.max_request_line + limits.max_header_bytes + 4)
            co_return refused(431, "header fields too large");
    }
    // HTTP/1.1 requires Host; an HTTP/1.0 or HTTP/2 request may have come without one, and
    // nothing here routes on it.
    if (!has_host)
        raw.append("Host: localhost\r\n");
    if (!request.body.empty())
        raw.append(fmt::format("Content-Length: {}\r\n", request.body.size()));
    raw.append("\r\n").append(request.body);

    server::request_parser parser(server::parser_limits_of(limits));
    std::size_t consumed = 0;
    auto result = parser.feed(raw, consumed);
    if (result == server::request_parser::result::error)
        co_return refused(parser.error_status(), parser.error_reason());
    if (result != server::request_parser::result::complete || consumed != raw.size())
        co_return refused(400, "incomplete request");

    auto& req = parser.get();
    // The client, as the bot's server knows it: what per-client limits count. Unknown (left
    // empty, or not an address) stays unspecified, which those limits do not count.
    if (auto peer = address_of(request.peer))
        req.peer = *peer;
    auto found = routes->find(req);
    if (!found.target)
        co_return to_outgoing(server::router::no_route(found, server::response::plain));
    // The same handler as the listener's; it never throws for a request's content, but a
    // failure of ours must still be an answer, as the listener's 500 is.
    std::optional<server::response> answer;
    try {
        answer = co_await (*found.target)(req);
    } catch (const error& e) {
        if (e.code() == errc::cancelled)
            throw;
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted)
            throw;
    } catch (const std::exception&) {
    }
    if (!answer)
        co_return refused(500);
    if (req.method == "HEAD")
        answer->body.clear(); // as the listener: the head alone
    co_return to_outgoing(std::move(*answer));
}

bool web_server::handles(std::string_view method, std::string_view target) const
{
    auto& i = *impl_;
    auto path = target.substr(0, target.find('?'));
    auto decoded = url::percent_decode(path);
    if (!decoded)
        return false;
    if (method == "GET" || method == "HEAD")
        return *decoded == i.path || (!i.config.linked_roles_path.empty() && *decoded == i.config.linked_roles_path);
    return method == "POST" && i.verify_key && *decoded == i.config.events_path;
}

asio::awaitable<outgoing_response> web_server::handle_request_with(incoming_request request)
{
    return impl::serve_embedded(impl_, std::move(request));
}

} // namespace discord::oauth2
