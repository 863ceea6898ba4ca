// The pages a person sees after authorizing: templates filled with HTML-escaped text, sent with
// the headers every page carries (no caching, no referrer, a strict CSP, no framing).
#pragma once

#include "server/response.hpp"

#include <discord/oauth2/web_server.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace discord::oauth2::web {

enum class page_kind { success, cancelled, invalid, error };

/// What the callback answers: a status and a page. Kept per state so that a replayed callback
/// gets the same answer.
struct answer {
    int status = 200;
    page_kind kind = page_kind::success;
    std::string title;
    std::string message;
    /// Sent as Retry-After when positive: how long a refused request should wait (a 429).
    std::chrono::seconds retry_after{0};
};

/// Replaces `{{title}}` and `{{message}}` (escaped) in the template for `a.kind`, or the built-in.
[[nodiscard]] server::response render(const page_templates& templates, const answer& a);

} // namespace discord::oauth2::web
