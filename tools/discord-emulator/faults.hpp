// Fault injection: make chosen routes slow, fail, or lose their answer, so tests can produce the
// failures a real network produces ("the code was spent but the response was lost").
//
// A spec is "METHOD PATH KIND [every=N] [probability=P]", where PATH is a route pattern without
// its /api[/vN] prefix ("/oauth2/token", "/users/@me/guilds/{guild}/member"), METHOD and PATH may
// be "*", and KIND is one of:
//   latency=MS     answer MS milliseconds late
//   status=CODE    answer CODE (a 5xx, say) without doing anything
//   reset-before   close the connection with a reset before the request takes effect
//   reset-after    let the request take effect, then reset the connection instead of answering
//   truncate       let it take effect, then send half of the answer and close
//   drop=FIELD     let it take effect, then answer without the top-level JSON field FIELD
//                  (a Discord that leaves out what it usually sends)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace discord::oauth2::emulator {

struct fault {
    enum class kind { latency, status, reset_before, reset_after, truncate, drop };

    std::string method = "*";
    std::string path = "*";
    kind what = kind::status;
    std::chrono::milliseconds latency{0};
    int status = 503;
    std::string field; ///< for drop
    std::uint64_t every = 1;  ///< every Nth matching request (1: all of them)
    double probability = 1.0; ///< and then with this probability

    std::uint64_t matched = 0; ///< matching requests seen so far

    /// Parses a spec as above; throws `error` (invalid_argument) saying what is wrong.
    static fault parse(std::string_view spec);
    /// Whether this fault is for `method` on `pattern` (a route pattern, /api prefix included).
    [[nodiscard]] bool applies_to(std::string_view method, std::string_view pattern) const;
};

/// `body` without its top-level field `field`, when it is a JSON object; otherwise `body`.
[[nodiscard]] std::string without_field(const std::string& body, std::string_view field);

/// The route pattern without /api, /api/v9 or /api/v10 in front.
[[nodiscard]] std::string_view without_api_prefix(std::string_view pattern);

} // namespace discord::oauth2::emulator
