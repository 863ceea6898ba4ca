// discord-oauth2: the library's errors.
//
// Every failure is reported as `discord::oauth2::error`, a `std::system_error` whose
// `code()` is in `discord::oauth2::error_category()`. Codes compare equal to the
// matching portable conditions (`std::errc::timed_out`, `std::errc::operation_canceled`,
// `std::errc::connection_refused`, ...), so generic error handling keeps working.
// Messages say what happened and what to do; they never contain a secret.
#pragma once

#include <string>
#include <system_error>

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
};

/// The category of `errc`; its name is "discord.oauth2".
[[nodiscard]] const std::error_category& error_category() noexcept;

[[nodiscard]] std::error_code make_error_code(errc code) noexcept;

/// The exception every operation throws. `what()` is a complete sentence for people;
/// `code()` is for programs. `http_status()` is the HTTP status involved, or 0.
class error : public std::system_error {
public:
    error(errc code, const std::string& message, int http_status = 0);

    [[nodiscard]] int http_status() const noexcept { return http_status_; }

private:
    int http_status_;
};

} // namespace discord::oauth2

template <>
struct std::is_error_code_enum<discord::oauth2::errc> : std::true_type {};
