#include "server/response.hpp"

#include <charconv>
#include <stdexcept>

namespace discord::oauth2::server {

response response::with_body(int status, std::string_view content_type, std::string body)
{
    response r;
    r.status = status;
    r.fields.add("Content-Type", std::string(content_type));
    r.body = std::move(body);
    return r;
}

response response::uncached(int status, std::string_view content_type, std::string body)
{
    auto r = with_body(status, content_type, std::move(body));
    r.fields.add("Cache-Control", "no-store");
    return r;
}

response response::json(int status, std::string body)
{
    return uncached(status, "application/json", std::move(body));
}

response response::page(int status, std::string html)
{
    auto r = uncached(status, "text/html; charset=utf-8", std::move(html));
    r.fields.add("Referrer-Policy", "no-referrer");
    r.fields.add("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    r.fields.add("X-Content-Type-Options", "nosniff");
    r.fields.add("X-Frame-Options", "DENY");
    return r;
}

response response::plain(int status, std::string_view detail)
{
    std::string text(reason_phrase(status));
    if (!detail.empty()) {
        text += ": ";
        text += detail;
    }
    text += '\n';
    return with_body(status, "text/plain; charset=utf-8", std::move(text));
}

std::string_view reason_phrase(int status) noexcept
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

namespace {

// Whether `text` holds a byte that would split the header block (or a ':' in a name). One pass:
// std::string::find_first_of calls memchr for every byte, a visible share of a page's cost.
bool splits_header(std::string_view text, bool is_name) noexcept
{
    for (char c : text)
        if (c == '\r' || c == '\n' || (is_name ? c == ':' : c == '\0'))
            return true;
    return false;
}

} // namespace

std::string serialize_head(const response& r, bool keep_alive)
{
    // Appended piece by piece into room made once: a page's head is a dozen fields, and
    // formatting each through fmt cost more than the checks.
    std::size_t size = 64;
    for (const auto& [name, value] : r.fields)
        size += name.size() + value.size() + 4;
    std::string out;
    out.reserve(size);
    auto number = [&out](std::size_t n) {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
        out.append(digits, end);
    };
    out.append("HTTP/1.1 ");
    number(static_cast<std::size_t>(r.status));
    out.push_back(' ');
    out.append(reason_phrase(r.status));
    out.append("\r\n");
    for (const auto& [name, value] : r.fields) {
        // A value built from request data must never split the header block.
        if (splits_header(name, true) || splits_header(value, false))
            throw std::invalid_argument("response header contains a line break");
        if (!http::iequals(name, "content-length") && !http::iequals(name, "connection")) {
            out.append(name);
            out.append(": ");
            out.append(value);
            out.append("\r\n");
        }
    }
    // 1xx, 204 and 304 never carry a body or its length (RFC 9110 8.6).
    if (r.status >= 200 && r.status != 204 && r.status != 304) {
        out.append("Content-Length: ");
        number(r.body.size());
        out.append("\r\n");
    }
    if (!keep_alive)
        out.append("Connection: close\r\n");
    out.append("\r\n");
    return out;
}

} // namespace discord::oauth2::server
