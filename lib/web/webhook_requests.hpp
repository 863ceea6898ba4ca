// Discord's webhook event requests, checked as Discord documents them before anything is done:
// the Ed25519 signature of X-Signature-Timestamp followed by the raw body, with the
// application's public key, and the timestamp within a window of now. Only a request that passes
// is read (json/webhook_event.hpp).
#pragma once

#include "core/ed25519.hpp"
#include "json/webhook_event.hpp"

#include <discord/oauth2/metrics.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::web {

/// What the events endpoint answers a request with, and what it then acts on.
struct webhook_verdict {
    int status = 401;  ///< 204 taken; 401 unsigned, badly signed or stale; 400 signed but unreadable; 413 too large
    std::string reason; ///< why it was refused, for logs and error events (never a secret)
    std::optional<json::webhook_payload> payload; ///< set with 204
    std::chrono::system_clock::time_point signed_at; ///< X-Signature-Timestamp, when it parsed
    webhook_outcome outcome = webhook_outcome::bad_signature; ///< how it is counted (accepted with 204)
};

/// Checks one request: `signature` and `timestamp` are the X-Signature-Ed25519 and
/// X-Signature-Timestamp headers (empty when absent). Cheap checks come first (size, headers,
/// the timestamp's window), then the signature, then the body is read.
[[nodiscard]] webhook_verdict check_webhook(const ed25519::public_key& key, std::chrono::seconds window,
                                            std::size_t max_body, std::string_view signature,
                                            std::string_view timestamp, std::string_view body,
                                            std::chrono::system_clock::time_point now);

} // namespace discord::oauth2::web
