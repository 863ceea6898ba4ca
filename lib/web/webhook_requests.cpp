#include "web/webhook_requests.hpp"

#include <discord/oauth2/error.hpp>

#include <charconv>
#include <cstdint>

namespace discord::oauth2::web {
namespace {

webhook_verdict refuse(int status, webhook_outcome outcome, std::string reason)
{
    webhook_verdict v;
    v.status = status;
    v.outcome = outcome;
    v.reason = std::move(reason);
    return v;
}

// Times past the year 2200 are refused before they become nanoseconds: system_clock counts
// nanoseconds in 64 bits, which end in 2262 (as states and cluster messages bound theirs).
constexpr std::int64_t max_seconds = 7'258'118'400;

// Unix seconds, as Discord writes them: digits only, and a time system_clock can hold. Checked
// before the signature: an unauthenticated header must not overflow anything.
std::optional<std::chrono::system_clock::time_point> unix_seconds(std::string_view text)
{
    std::int64_t seconds = 0;
    if (text.empty() || text.size() > 12)
        return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || seconds < 0 || seconds > max_seconds)
        return std::nullopt;
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

} // namespace

webhook_verdict check_webhook(const ed25519::public_key& key, std::chrono::seconds window, std::size_t max_body,
                              std::string_view signature, std::string_view timestamp, std::string_view body,
                              std::chrono::system_clock::time_point now)
{
    if (body.size() > max_body)
        return refuse(413, webhook_outcome::too_large, "the body is larger than the events endpoint takes");
    if (signature.empty() || timestamp.empty())
        return refuse(401, webhook_outcome::bad_signature, "X-Signature-Ed25519 or X-Signature-Timestamp is missing");
    auto signed_at = unix_seconds(timestamp);
    if (!signed_at)
        return refuse(401, webhook_outcome::bad_signature, "X-Signature-Timestamp is not a time");
    if (*signed_at < now - window || *signed_at > now + window)
        return refuse(401, webhook_outcome::stale, "X-Signature-Timestamp is outside the accepted window");
    std::string message;
    message.reserve(timestamp.size() + body.size());
    message.append(timestamp).append(body);
    if (!ed25519::verify(key, message, signature))
        return refuse(401, webhook_outcome::bad_signature, "the signature is not the application's public key's");
    webhook_verdict v;
    v.signed_at = *signed_at;
    try {
        v.payload = json::decode_webhook(body);
    } catch (const error& e) {
        return refuse(400, webhook_outcome::malformed, e.what());
    }
    v.status = 204;
    v.outcome = webhook_outcome::accepted;
    return v;
}

} // namespace discord::oauth2::web
