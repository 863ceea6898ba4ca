// What the token endpoint returns.
//
// How the models read Discord's answers (the same in every model header): a std::optional member
// is a field Discord may leave out or send as null, and is empty then; every other member is a
// field Discord always sends, and an answer without it fails with errc::invalid_response naming
// the field (defaults are only for members Discord's documented examples leave out, such as
// `flags`). Unknown fields are ignored and unknown enum or flag values are kept as they came.
#pragma once

#include <discord/oauth2/application.hpp>
#include <discord/oauth2/guild.hpp>
#include <discord/oauth2/secret.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// A user's tokens, as the token endpoint returns them (exchange_code, refresh,
/// client_credentials) and as token stores keep them. Its secrets print as "[redacted]".
struct access_token {
    secret token;                        ///< the access token, sent as `Authorization: Bearer`
    std::string token_type = "Bearer";   ///< always "Bearer" at Discord
    std::chrono::seconds expires_in{0};  ///< its lifetime when issued (a week at Discord)
    /// When it expires: the time it was received plus `expires_in`.
    std::chrono::system_clock::time_point expires_at;
    std::optional<secret> refresh_token; ///< absent for client credentials and implicit grants
    std::vector<std::string> scopes;     ///< the scopes granted, which may be fewer than asked
    std::optional<oauth2::webhook> webhook; ///< `webhook.incoming`
    std::optional<oauth2::guild> guild;     ///< `bot` with the code grant
    std::optional<secret> id_token;         ///< `openid`

    /// Whether `scope` was granted.
    [[nodiscard]] bool has_scope(std::string_view scope) const noexcept
    {
        for (const auto& s : scopes)
            if (s == scope)
                return true;
        return false;
    }
    /// Whether it has expired at `now`.
    [[nodiscard]] bool expired(std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const noexcept
    {
        return now >= expires_at;
    }
};

} // namespace discord::oauth2
