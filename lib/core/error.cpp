#include <discord/oauth2/error.hpp>

namespace discord::oauth2 {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "discord.oauth2"; }

    std::string message(int value) const override
    {
        switch (static_cast<errc>(value)) {
        case errc::timeout: return "the request timed out";
        case errc::connection_refused: return "the connection was refused";
        case errc::resolve_failed: return "the host name could not be resolved";
        case errc::tls_error: return "TLS failed";
        case errc::response_too_large: return "the response is larger than the configured limit";
        case errc::cancelled: return "the operation was cancelled";
        case errc::connection_lost: return "the connection was lost";
        case errc::invalid_url: return "the URL is not usable";
        case errc::transport: return "transport failure";
        case errc::invalid_response: return "the server's answer could not be understood";
        case errc::invalid_argument: return "invalid argument";
        case errc::address_in_use: return "the address could not be bound";
        case errc::invalid_request: return "invalid request";
        case errc::invalid_client: return "invalid client";
        case errc::invalid_grant: return "invalid grant";
        case errc::unauthorized_client: return "unauthorized client";
        case errc::unsupported_grant_type: return "unsupported grant type";
        case errc::invalid_scope: return "invalid scope";
        case errc::access_denied: return "access denied";
        case errc::unsupported_token_type: return "unsupported token type";
        case errc::missing_scope: return "the token lacks a required scope";
        case errc::unauthorized: return "unauthorized";
        case errc::forbidden: return "forbidden";
        case errc::not_found: return "not found";
        case errc::rate_limited: return "rate limited";
        case errc::api_error: return "Discord API error";
        case errc::server_error: return "Discord server error";
        case errc::outcome_unknown: return "the outcome of the request is unknown";
        case errc::invalid_state: return "invalid state";
        case errc::state_expired: return "the state has expired";
        case errc::state_replayed: return "the state was already used";
        case errc::too_many_pending: return "too many pending authorizations";
        case errc::no_grant: return "no grant is stored for the user";
        case errc::stopped: return "the web server has stopped";
        case errc::wrong_store_key: return "the store was written with another key";
        case errc::grant_altered: return "a stored grant was altered";
        case errc::grant_copied: return "a stored grant belongs to another user";
        case errc::store_failed: return "the token store failed";
        case errc::authorization_pending: return "the user has not authorized the device yet";
        case errc::slow_down: return "the device code was polled too often";
        case errc::expired_token: return "the device code expired";
        case errc::invalid_id_token: return "the ID token failed verification";
        }
        return "unknown discord.oauth2 error";
    }

    // Lets callers test `ec == std::errc::timed_out` and friends without knowing our enum.
    std::error_condition default_error_condition(int value) const noexcept override
    {
        switch (static_cast<errc>(value)) {
        case errc::timeout: return std::errc::timed_out;
        case errc::connection_refused: return std::errc::connection_refused;
        case errc::cancelled: return std::errc::operation_canceled;
        case errc::response_too_large: return std::errc::message_size;
        case errc::invalid_argument: return std::errc::invalid_argument;
        case errc::address_in_use: return std::errc::address_in_use;
        case errc::access_denied: return std::errc::permission_denied;
        default: return {value, *this};
        }
    }
};

} // namespace

const std::error_category& error_category() noexcept
{
    static const category instance;
    return instance;
}

std::error_code make_error_code(errc code) noexcept
{
    return {static_cast<int>(code), error_category()};
}

error::error(errc code, const std::string& message, int http_status)
    : std::system_error(make_error_code(code), message), http_status_(http_status),
      message_(std::make_shared<const std::string>(message.empty() ? make_error_code(code).message() : message))
{
}

error::error(errc code, const std::string& message, int http_status, error_details details)
    : std::system_error(make_error_code(code), message), http_status_(http_status),
      details_(std::make_shared<const error_details>(std::move(details))),
      message_(std::make_shared<const std::string>(message.empty() ? make_error_code(code).message() : message))
{
}

const char* error::what() const noexcept
{
    return message_->c_str();
}

const std::vector<field_error>& error::field_errors() const noexcept
{
    static const std::vector<field_error> none;
    return details_ ? details_->field_errors : none;
}

bool error::needs_reauthorization() const noexcept
{
    if (code() == errc::invalid_grant)
        return true;
    // Discord has also answered invalid_request for spent codes and dead refresh tokens.
    auto d = description();
    return code() == errc::invalid_request
        && (d.find("\"code\"") != std::string_view::npos || d.find("\"refresh_token\"") != std::string_view::npos);
}

} // namespace discord::oauth2
