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

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <variant>

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

/// One named value of a log record: "route" ("GET /users/@me"), "status" (429), "duration_ms"
/// (12.5), "wait_ms", "attempt", "error". Never a secret, a token or a user-supplied URL.
struct log_field {
    std::string_view name;                                      ///< what it is
    std::variant<std::string_view, std::int64_t, double> value; ///< text or a number
};

/// A log line with its fields apart, for structured logs. Everything it refers to lives only
/// for the call: copy what is kept.
struct log_record {
    log_level level = log_level::debug; ///< how much it matters
    std::string_view message;           ///< the same sentence the plain logger gets
    std::span<const log_field> fields;  ///< what the sentence names, as values
};

/// Told what the client does, as records (client_config::log_records). The same threads and
/// rules as `logger`: it must not block or throw.
using record_logger = std::function<void(const log_record&)>;

} // namespace discord::oauth2
