// The library's models as the JSON the command line prints: Discord's field names, so that the
// output reads like Discord's own answers (and pipes into jq the same way).
#pragma once

#include <discord/oauth2/client.hpp>

#include <string>
#include <vector>

namespace discord::oauth2::json {
class writer;
}

namespace cli {

namespace oauth2 = discord::oauth2;

void write(oauth2::json::writer& w, const oauth2::access_token& t);
void write(oauth2::json::writer& w, const oauth2::user& u);
void write(oauth2::json::writer& w, const oauth2::connection& c);
/// With `with_counts`, the counts are written even when Discord sent none (as null, which its
/// spec allows); without, only when known.
void write(oauth2::json::writer& w, const oauth2::partial_guild& g, bool with_counts = false);
void write(oauth2::json::writer& w, const oauth2::guild_member& m);
void write(oauth2::json::writer& w, const oauth2::authorization_info& info);
void write(oauth2::json::writer& w, const oauth2::role_connection& rc);
void write(oauth2::json::writer& w, const oauth2::guild_join& join);
/// Discord's CommandPermissionsResponse.
void write(oauth2::json::writer& w, const oauth2::guild_command_permissions& p);
/// Discord's PrivateChannelResponse / PrivateGroupChannelResponse.
void write(oauth2::json::writer& w, const oauth2::private_channel& c);
void write(oauth2::json::writer& w, const oauth2::group_dm_join& join);
/// Verified ID token claims, with their JWT names (exp, iat as seconds since 1970).
void write(oauth2::json::writer& w, const oauth2::id_token_claims& c);
void write(oauth2::json::writer& w, const oauth2::openid_userinfo& u);
/// The application with its own settings (get_current_application).
void write(oauth2::json::writer& w, const oauth2::application& a);

template <class T>
void write(oauth2::json::writer& w, const std::vector<T>& items);

/// "2026-11-29T08:00:00Z"
[[nodiscard]] std::string iso8601(std::chrono::system_clock::time_point t);

} // namespace cli
