// The logger hook: where the library says what it is doing.
//
//   config.logger = [](oauth2::log_level level, std::string_view message) {
//       if (level >= oauth2::log_level::info) spdlog::info("{}", message);
//   };
//
// Messages are complete sentences that name routes ("GET /users/@me"), statuses and timings;
// they never contain a token, code, secret or user-supplied URL. The hook is called from the
// thread running the operation and must not throw.
#pragma once

#include <functional>
#include <string_view>

namespace discord::oauth2 {

/// How much a log line matters.
enum class log_level {
    debug,   ///< every request and its outcome
    info,    ///< waits for rate limits
    warning, ///< retries, lost answers
    error,   ///< the client stopped sending (repeated 401/403)
};

/// "debug", "info", "warning" or "error".
[[nodiscard]] std::string_view to_string(log_level level) noexcept;

/// Told what the client does, as a level and a line for people (never a secret). Called on
/// whatever thread the client's work runs on; it must not block. An empty logger logs nothing
/// (the default).
using logger = std::function<void(log_level, std::string_view)>;

} // namespace discord::oauth2
