#include "server/request_parser.hpp"

#include "http/headers.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace discord::oauth2::server {
namespace {

// Origin-form characters: RFC 3986 pchar, '/', '?' ('%' escapes are checked when decoding).
constexpr bool target_char_rule(unsigned char c) noexcept
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=': case ':': case '@': case '/': case '?': case '%':
        return true;
    default:
        return false;
    }
}

// The rule as a table made at compile time: the target is scanned a byte at a time, and a call
// and a switch per byte was a visible share of reading a callback.
constexpr auto target_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[static_cast<std::size_t>(c)] = target_char_rule(static_cast<unsigned char>(c));
    return t;
}();

inline bool is_target_char(unsigned char c) noexcept
{
    return target_chars[c];
}

// field-vchar / obs-text, SP and HTAB; no other control byte (NUL, DEL, bare CR, LF).
bool is_value_char(unsigned char c) noexcept
{
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

bool has_token(std::string_view list, std::string_view token) noexcept
{
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = http::trim_ows(list.substr(0, comma));
        if (http::iequals(item, token))
            return true;
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

void request_parser::reset()
{
    state_ = state::method;
    request_ = request{};
    version_.clear();
    name_.clear();
    value_.clear();
    request_line_bytes_ = 0;
    header_bytes_ = 0;
    body_remaining_ = 0;
    expects_continue_ = false;
    error_status_ = 0;
    error_reason_ = "";
}

request_parser::result request_parser::fail(int status, const char* reason)
{
    state_ = state::failed;
    error_status_ = status;
    error_reason_ = reason;
    return result::error;
}

request_parser::result request_parser::feed(std::string_view data, std::size_t& consumed)
{
    consumed = 0;
    if (state_ == state::failed)
        return result::error;
    if (state_ == state::done)
        return result::complete;

    std::size_t i = 0;
    while (i < data.size()) {
        if (state_ == state::body) {
            std::size_t n = std::min(body_remaining_, data.size() - i);
            request_.body.append(data.data() + i, n);
            i += n;
            body_remaining_ -= n;
            if (body_remaining_ == 0) {
                state_ = state::done;
                consumed = i;
                return result::complete;
            }
            continue;
        }

        // Runs of plain characters in the request target and in a header value are taken whole
        // (a byte at a time they cost a push_back each; a callback's target is hundreds of
        // bytes): the same characters allowed, the same limits, counted per run. The first
        // character of a target and whatever ends a run go through the checks below.
        if ((state_ == state::target && !request_.target.empty()) || state_ == state::value) {
            bool in_target = state_ == state::target;
            std::size_t used = in_target ? request_line_bytes_ : header_bytes_;
            std::size_t allowed = in_target ? limits_.max_request_line + 2 : limits_.max_header_bytes;
            std::size_t stop = i + std::min(allowed > used ? allowed - used : 0, data.size() - i);
            std::size_t end = i;
            if (in_target)
                while (end < stop && is_target_char(static_cast<unsigned char>(data[end])))
                    ++end;
            else
                while (end < stop && is_value_char(static_cast<unsigned char>(data[end])))
                    ++end;
            if (end > i) {
                (in_target ? request_.target : value_).append(data.data() + i, end - i);
                (in_target ? request_line_bytes_ : header_bytes_) += end - i;
                i = end;
                continue;
            }
        }

        auto c = static_cast<unsigned char>(data[i++]);
        if (state_ <= state::request_line_lf) {
            if (++request_line_bytes_ > limits_.max_request_line + 2) // + CRLF
                return fail(414, "request line too long");
        } else if (++header_bytes_ > limits_.max_header_bytes) {
            return fail(431, "header block too large");
        }

        switch (state_) {
        case state::method:
            if (c == ' ') {
                if (request_.method.empty())
                    return fail(400, "empty method");
                state_ = state::target;
            } else if (http::is_token_char(c)) {
                request_.method.push_back(static_cast<char>(c));
            } else {
                return fail(400, "invalid character in method");
            }
            break;
        case state::target:
            if (c == ' ') {
                if (request_.target.empty())
                    return fail(400, "empty request target");
                state_ = state::version;
            } else if (is_target_char(c)) {
                if (request_.target.empty() && c != '/')
                    return fail(400, "request target is not in origin-form");
                request_.target.push_back(static_cast<char>(c));
            } else {
                return fail(400, "invalid character in request target");
            }
            break;
        case state::version:
            if (c == '\r') {
                state_ = state::request_line_lf;
            } else if (c > 0x20 && c < 0x7f && version_.size() < 8) {
                version_.push_back(static_cast<char>(c));
            } else {
                return fail(400, "malformed HTTP version");
            }
            break;
        case state::request_line_lf:
            if (c != '\n')
                return fail(400, "bare CR in request line");
            if (version_ == "HTTP/1.1") {
                request_.version_minor = 1;
            } else if (version_ == "HTTP/1.0") {
                request_.version_minor = 0;
                request_.keep_alive = false;
            } else if (version_.size() == 8 && version_.starts_with("HTTP/") && version_[5] >= '0'
                       && version_[5] <= '9' && version_[6] == '.' && version_[7] >= '0' && version_[7] <= '9') {
                return fail(505, "HTTP version not supported");
            } else {
                return fail(400, "malformed HTTP version");
            }
            state_ = state::field_start;
            break;
        case state::field_start:
            if (c == '\r') {
                state_ = state::head_lf;
            } else if (c == ' ' || c == '\t') {
                return fail(400, "obsolete line folding or whitespace before a header name");
            } else if (http::is_token_char(c)) {
                if (request_.fields.size() >= limits_.max_headers)
                    return fail(431, "too many header fields");
                name_.assign(1, static_cast<char>(c));
                value_.clear();
                state_ = state::name;
            } else {
                return fail(400, "invalid character in header name");
            }
            break;
        case state::name:
            if (c == ':') {
                state_ = state::before_value;
            } else if (http::is_token_char(c)) {
                name_.push_back(static_cast<char>(c));
            } else if (c == ' ' || c == '\t') {
                return fail(400, "whitespace between header name and colon");
            } else {
                return fail(400, "invalid character in header name");
            }
            break;
        case state::before_value:
            if (c == ' ' || c == '\t')
                break;
            state_ = state::value;
            [[fallthrough]];
        case state::value:
            if (c == '\r') {
                request_.fields.add(name_, http::trim_ows(value_));
                name_.clear();
                state_ = state::field_lf;
            } else if (is_value_char(c)) {
                value_.push_back(static_cast<char>(c));
            } else {
                return fail(400, c == '\n' ? "bare LF in header field" : "control character in header value");
            }
            break;
        case state::field_lf:
            if (c != '\n')
                return fail(400, "bare CR in header field");
            state_ = state::field_start;
            break;
        case state::head_lf: {
            if (c != '\n')
                return fail(400, "bare CR after header block");
            auto r = finish_head();
            if (r != result::need_more) {
                consumed = i;
                return r;
            }
            break;
        }
        case state::body:
        case state::done:
        case state::failed:
            break; // handled above
        }
    }
    consumed = i;
    return result::need_more;
}

request_parser::result request_parser::finish_head()
{
    auto& req = request_;
    const auto& fields = req.fields;

    auto hosts = fields.count("host");
    if (hosts > 1 || (hosts == 0 && req.version_minor == 1))
        return fail(400, hosts ? "more than one Host header" : "missing Host header");
    if (fields.contains("transfer-encoding"))
        return fail(400, "Transfer-Encoding is not accepted");

    std::size_t content_length = 0;
    if (auto lengths = fields.count("content-length")) {
        if (lengths > 1)
            return fail(400, "more than one Content-Length header");
        auto text = *fields.find("content-length");
        if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char d) { return d >= '0' && d <= '9'; }))
            return fail(400, "malformed Content-Length");
        std::from_chars(text.data(), text.data() + text.size(), content_length);
        if (content_length > 0 && (req.method == "GET" || req.method == "HEAD"))
            return fail(400, "a GET or HEAD request carries a body");
        if (content_length > limits_.max_body)
            return fail(413, "body too large");
    }

    if (auto expect = fields.find("expect")) {
        if (!http::iequals(*expect, "100-continue"))
            return fail(417, "unsupported expectation");
        expects_continue_ = content_length > 0;
    }

    if (auto connection = fields.find("connection")) {
        if (has_token(*connection, "close"))
            req.keep_alive = false;
        else if (req.version_minor == 0 && has_token(*connection, "keep-alive"))
            req.keep_alive = true;
    }

    auto question = req.target.find('?');
    {
        auto decoded = url::percent_decode(std::string_view(req.target).substr(0, question));
        if (!decoded)
            return fail(400, "bad percent-encoding in path");
        req.path = std::move(*decoded);
    }
    if (question != std::string::npos) {
        req.raw_query = req.target.substr(question + 1);
        auto query = url::parse_query(req.raw_query);
        if (!query)
            return fail(400, "bad percent-encoding in query");
        req.query = std::move(*query);
    }

    if (content_length == 0) {
        state_ = state::done;
        return result::complete;
    }
    req.body.reserve(content_length);
    body_remaining_ = content_length;
    state_ = state::body;
    return result::need_more;
}

} // namespace discord::oauth2::server
