#include "client/response_errors.hpp"

#include "client/request_limits.hpp"
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace discord::oauth2::rest {
namespace {

errc oauth_code(std::string_view name)
{
    if (name == "invalid_request") return errc::invalid_request;
    if (name == "invalid_client") return errc::invalid_client;
    if (name == "invalid_grant") return errc::invalid_grant;
    if (name == "unauthorized_client") return errc::unauthorized_client;
    if (name == "unsupported_grant_type") return errc::unsupported_grant_type;
    if (name == "invalid_scope") return errc::invalid_scope;
    if (name == "access_denied") return errc::access_denied;
    if (name == "unsupported_token_type") return errc::unsupported_token_type;
    if (name == "authorization_pending") return errc::authorization_pending;
    if (name == "slow_down") return errc::slow_down;
    if (name == "expired_token") return errc::expired_token;
    return errc::api_error;
}

// What the caller is told to wait: finite and not negative, or nothing.
std::optional<double> sane_wait(std::optional<double> seconds)
{
    if (!seconds || !std::isfinite(*seconds))
        return std::nullopt;
    return std::max(*seconds, 0.0);
}

} // namespace

void throw_unless_success(const http::response& r, std::string_view operation)
{
    if (r.status >= 200 && r.status < 300)
        return;
    error_details details;
    auto body = r.body.view();

    if (r.status == 429) {
        details.retry_after = sane_wait(header_seconds(r, "retry-after"));
        try {
            auto limit = json::decode_rate_limit(r.body);
            if (auto said = sane_wait(limit.retry_after))
                details.retry_after = said;
            details.description = limit.message;
            details.discord_code = limit.code;
        } catch (const error&) {
            // No JSON body: the headers say enough.
        }
        throw error(errc::rate_limited,
                    fmt::format("Discord rate-limited {}{}; wait before trying again", operation,
                                details.retry_after ? fmt::format(" for {:.3f} s", *details.retry_after) : ""),
                    r.status, std::move(details));
    }

    // RFC 6749 bodies ({"error": ...}) come from the token endpoints.
    if (body.find("\"error\"") != std::string_view::npos && (r.status == 400 || r.status == 401)) {
        try {
            auto e = json::decode_oauth_error(r.body);
            if (!e.error.empty()) {
                details.description = e.error_description.value_or("");
                auto code = oauth_code(e.error);
                throw error(code,
                            fmt::format("Discord refused {}: {}{}", operation, e.error,
                                        e.error_description ? " (" + *e.error_description + ")" : ""),
                            r.status, std::move(details));
            }
        } catch (const error& e) {
            if (e.code() != errc::invalid_response)
                throw;
        }
    }

    std::string message;
    try {
        auto api = json::decode_api_error(r.body);
        details.discord_code = api.code;
        details.description = api.message;
        details.field_errors = std::move(api.errors);
        message = fmt::format("{} (Discord code {})", api.message, api.code);
        for (const auto& f : details.field_errors)
            message += fmt::format("; {}: {}", f.path.empty() ? "request" : f.path, f.message);
    } catch (const error&) {
        message = fmt::format("HTTP {}", r.status);
    }
    errc code = r.status == 401 ? errc::unauthorized
        : r.status == 403       ? errc::forbidden
        : r.status == 404       ? errc::not_found
        : r.status >= 500       ? errc::server_error
                                : errc::api_error;
    auto advice = r.status == 401 ? "; the token is invalid, expired or revoked: authorize again"
        : r.status >= 500         ? "; Discord failed, try again later"
                                  : "";
    throw error(code, fmt::format("Discord refused {}: {}{}", operation, message, advice), r.status,
                std::move(details));
}

} // namespace discord::oauth2::rest
