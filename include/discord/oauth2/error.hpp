// discord-oauth2: the library's errors.
//
// Every failure is reported as `discord::oauth2::error`, a `std::system_error` whose
// `code()` is in `discord::oauth2::error_category()`. Codes compare equal to the
// matching portable conditions (`std::errc::timed_out`, `std::errc::operation_canceled`,
// `std::errc::connection_refused`, ...), so generic error handling keeps working.
// Messages say what happened and what to do; they never contain a secret.
#pragma once

#include <discord/oauth2/api_error.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace discord::oauth2 {

/// The library's error codes. Zero is never used: a default `std::error_code` means success.
enum class errc {
    // Outgoing HTTP (layer 1).
    timeout = 1,          ///< the request did not complete within its timeout
    connection_refused,   ///< nothing accepted the TCP connection
    resolve_failed,       ///< the host name (or the proxy's) could not be resolved
    tls_error,            ///< TLS handshake or certificate verification failed
    response_too_large,   ///< the response body exceeded the configured limit
    cancelled,            ///< the operation was cancelled through its cancellation slot
    connection_lost,      ///< the connection broke before a complete response arrived
    invalid_url,          ///< the URL could not be used (malformed or unsupported scheme)
    transport,            ///< any other transport failure
    invalid_response,     ///< the server's answer is not what Discord sends (malformed JSON, wrong types)
    // Configuration and use.
    invalid_argument,     ///< an argument or option is not acceptable; the message says which
    address_in_use,       ///< a listening address could not be bound
    // OAuth2 errors (RFC 6749 §5.2, RFC 7009), as the token endpoints answer them.
    invalid_request,      ///< a missing or wrong parameter (a PKCE verifier that does not match)
    invalid_client,       ///< wrong client id or secret
    invalid_grant,        ///< the code or refresh token is invalid, expired, spent or revoked
    unauthorized_client,  ///< the application may not use this grant type
    unsupported_grant_type, ///< the token endpoint does not know the grant type
    invalid_scope,        ///< a scope that is unknown or may not be asked for this way
    access_denied,        ///< the user cancelled the authorization
    unsupported_token_type, ///< the revocation endpoint does not revoke this kind of token
    // Discord's API.
    missing_scope,        ///< the token lacks a scope the operation needs (client_config::check_scopes)
    unauthorized,         ///< 401: the token is invalid, expired or revoked
    forbidden,            ///< 403
    not_found,            ///< 404 (unknown guild, member, ...)
    rate_limited,         ///< 429 that was not waited out; retry_after() says how long
    api_error,            ///< another 4xx; discord_code() and field_errors() say what
    server_error,         ///< 5xx
    outcome_unknown,      ///< the request may have taken effect at Discord, but no answer came
    // Sealed states (state.hpp).
    invalid_state,        ///< malformed, or not sealed with our key (forged or tampered with)
    state_expired,        ///< authentic but too old: the user should start again
    state_replayed,       ///< authentic but already used (double click, prefetch, replay)
    // The callback web server (web_server.hpp).
    too_many_pending,     ///< the cap on pending authorizations is reached
    no_grant,             ///< no grant is stored for the user
    stopped,              ///< the web server has stopped
    // Token stores (token_store.hpp, sqlite_token_store.hpp).
    wrong_store_key,      ///< the store was written with another key
    grant_altered,        ///< a stored grant failed authentication: its bytes were changed
    grant_copied,         ///< a stored grant belongs to another user: the row was copied
    store_failed,         ///< the database failed (disk full, locked, corrupt); the message says how
    // The device authorization grant (RFC 8628 §3.5; client::wait_for_device_token).
    authorization_pending, ///< the user has not finished at the verification URL yet
    slow_down,             ///< the device code was polled too often: wait 5 s longer between polls
    expired_token,         ///< the device code expired before the user authorized: start again
    // OpenID Connect (openid.hpp; client::verify_id_token).
    invalid_id_token,      ///< an ID token failed verification (signature, algorithm, iss, aud, exp, nonce); the message says which
};

/// The category of `errc`; its name is "discord.oauth2".
[[nodiscard]] const std::error_category& error_category() noexcept;

/// `code` in error_category(); lets an errc compare with a std::error_code.
[[nodiscard]] std::error_code make_error_code(errc code) noexcept;

/// What Discord said, when it said something.
struct error_details {
    std::optional<int> discord_code;         ///< Discord's JSON error code (50035, 10004, ...)
    std::string description;                 ///< error_description, or Discord's message
    std::optional<double> retry_after;       ///< seconds, for rate limits
    std::vector<field_error> field_errors;   ///< Discord's nested form errors, flattened
};

/// The exception every operation throws. `what()` is a complete sentence for people: the
/// message it was made with (or, without one, what `code()` means), said once;
/// `code()` is for programs. `http_status()` is the HTTP status involved, or 0.
class error : public std::system_error {
public:
    /// An error with `code` and a sentence for people (`message`, never a secret).
    error(errc code, const std::string& message, int http_status = 0);
    /// The same with what Discord said.
    error(errc code, const std::string& message, int http_status, error_details details);

    /// The sentence: the message given, else what the code means. (std::system_error would
    /// append the code's meaning to the message, which says it already.)
    [[nodiscard]] const char* what() const noexcept override;

    /// The HTTP status of the answer involved, or 0.
    [[nodiscard]] int http_status() const noexcept { return http_status_; }
    /// Discord's JSON error code (50035, 10004, ...), when it sent one.
    [[nodiscard]] std::optional<int> discord_code() const noexcept { return details_ ? details_->discord_code : std::nullopt; }
    /// Discord's error_description or message; empty when it said nothing.
    [[nodiscard]] std::string_view description() const noexcept { return details_ ? std::string_view(details_->description) : std::string_view(); }
    /// For rate_limited: how many seconds Discord asked to wait.
    [[nodiscard]] std::optional<double> retry_after() const noexcept { return details_ ? details_->retry_after : std::nullopt; }
    /// Discord's nested form errors, flattened (api_error); empty otherwise.
    [[nodiscard]] const std::vector<field_error>& field_errors() const noexcept;

    /// True when only a new authorization by the user can help: the grant is gone.
    /// (invalid_grant, and the invalid_request texts Discord has been seen to send about codes
    /// and refresh tokens.)
    [[nodiscard]] bool needs_reauthorization() const noexcept;

private:
    int http_status_;
    std::shared_ptr<const error_details> details_; // shared: exceptions must copy without throwing
    std::shared_ptr<const std::string> message_;   // likewise: the sentence what() says
};

} // namespace discord::oauth2

/// @cond
template <>
struct std::is_error_code_enum<discord::oauth2::errc> : std::true_type {};
/// @endcond
