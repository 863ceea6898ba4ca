#include "model_json.hpp"

#include "json/writer.hpp"

#include <ctime>

namespace cli {
namespace {

template <class T>
void optional_field(oauth2::json::writer& w, std::string_view name, const std::optional<T>& v)
{
    if (v)
        w.field(name, *v);
}

void nullable_field(oauth2::json::writer& w, std::string_view name, const std::optional<std::string>& v)
{
    w.key(name).value_or_null(v);
}

void write_application(oauth2::json::writer& w, const oauth2::application& a)
{
    w.begin_object().field("id", a.id.to_string()).field("name", a.name);
    nullable_field(w, "icon", a.icon);
    w.field("description", a.description);
    optional_field(w, "hook", a.hook);
    optional_field(w, "bot_public", a.bot_public);
    optional_field(w, "bot_require_code_grant", a.bot_require_code_grant);
    w.field("verify_key", a.verify_key);
    optional_field(w, "flags", a.flags);
    w.end_object();
}

} // namespace

std::string iso8601(std::chrono::system_clock::time_point t)
{
    auto seconds = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

void write(oauth2::json::writer& w, const oauth2::access_token& t)
{
    // The token is the result asked for: this is the one place secrets are printed.
    w.begin_object()
        .field("access_token", t.token.reveal())
        .field("token_type", t.token_type)
        .field("expires_in", static_cast<std::int64_t>(t.expires_in.count()))
        .field("expires_at", iso8601(t.expires_at));
    if (t.refresh_token)
        w.field("refresh_token", t.refresh_token->reveal());
    std::string scope;
    for (const auto& s : t.scopes)
        scope += (scope.empty() ? "" : " ") + s;
    w.field("scope", scope);
    if (t.id_token)
        w.field("id_token", t.id_token->reveal());
    if (t.guild)
        w.key("guild").begin_object().field("id", t.guild->id.to_string()).field("name", t.guild->name).end_object();
    if (t.webhook) {
        w.key("webhook").begin_object().field("id", t.webhook->id.to_string());
        if (t.webhook->channel_id)
            w.field("channel_id", t.webhook->channel_id->to_string());
        if (t.webhook->guild_id)
            w.field("guild_id", t.webhook->guild_id->to_string());
        optional_field(w, "name", t.webhook->name);
        w.field("token", t.webhook->token.reveal()).field("url", t.webhook->url.reveal()).end_object();
    }
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::user& u)
{
    w.begin_object().field("id", u.id.to_string()).field("username", u.username).field("discriminator", u.discriminator);
    nullable_field(w, "global_name", u.global_name);
    nullable_field(w, "avatar", u.avatar);
    if (u.bot)
        w.field("bot", true);
    if (u.system)
        w.field("system", true);
    optional_field(w, "mfa_enabled", u.mfa_enabled);
    optional_field(w, "banner", u.banner);
    optional_field(w, "accent_color", u.accent_color);
    optional_field(w, "locale", u.locale);
    optional_field(w, "verified", u.verified);
    optional_field(w, "email", u.email);
    optional_field(w, "flags", u.flags);
    optional_field(w, "premium_type", u.premium_type);
    optional_field(w, "public_flags", u.public_flags);
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::connection& c)
{
    w.begin_object().field("id", c.id);
    nullable_field(w, "name", c.name);
    w.field("type", c.type);
    optional_field(w, "revoked", c.revoked);
    w.field("verified", c.verified)
        .field("friend_sync", c.friend_sync)
        .field("show_activity", c.show_activity)
        .field("two_way_link", c.two_way_link)
        .field("visibility", c.visibility)
        .end_object();
}

void write(oauth2::json::writer& w, const oauth2::partial_guild& g, bool with_counts)
{
    w.begin_object().field("id", g.id.to_string()).field("name", g.name);
    nullable_field(w, "icon", g.icon);
    nullable_field(w, "banner", g.banner);
    w.field("owner", g.owner).field("permissions", std::to_string(g.permissions));
    w.key("features").begin_array();
    for (const auto& f : g.features)
        w.value(f);
    w.end_array();
    for (auto [name, count] : {std::pair{"approximate_member_count", g.approximate_member_count},
                               std::pair{"approximate_presence_count", g.approximate_presence_count}}) {
        if (count)
            w.field(name, *count);
        else if (with_counts)
            w.key(name).null();
    }
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::guild_member& m)
{
    w.begin_object();
    if (m.user) {
        w.key("user");
        write(w, *m.user);
    }
    nullable_field(w, "nick", m.nick);
    nullable_field(w, "avatar", m.avatar);
    w.key("roles").begin_array();
    for (auto r : m.roles)
        w.value(r.to_string());
    w.end_array();
    optional_field(w, "joined_at", m.joined_at);
    nullable_field(w, "premium_since", m.premium_since);
    w.field("deaf", m.deaf).field("mute", m.mute).field("flags", m.flags);
    optional_field(w, "pending", m.pending);
    if (m.permissions)
        w.field("permissions", std::to_string(*m.permissions));
    nullable_field(w, "communication_disabled_until", m.communication_disabled_until);
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::authorization_info& info)
{
    w.begin_object().key("application");
    write_application(w, info.application);
    w.key("scopes").begin_array();
    for (const auto& s : info.scopes)
        w.value(s);
    w.end_array().field("expires", iso8601(info.expires));
    if (info.user) {
        w.key("user");
        write(w, *info.user);
    }
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::role_connection& rc)
{
    w.begin_object();
    nullable_field(w, "platform_name", rc.platform_name);
    nullable_field(w, "platform_username", rc.platform_username);
    w.key("metadata").begin_object();
    for (const auto& [k, v] : rc.metadata)
        w.field(k, v);
    w.end_object().end_object();
}

void write(oauth2::json::writer& w, const oauth2::guild_join& join)
{
    w.begin_object().field("added", join.added);
    if (join.member) {
        w.key("member");
        write(w, *join.member);
    }
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::guild_command_permissions& p)
{
    w.begin_object()
        .field("id", p.id.to_string())
        .field("application_id", p.application_id.to_string())
        .field("guild_id", p.guild_id.to_string())
        .key("permissions").begin_array();
    for (const auto& one : p.permissions)
        w.begin_object()
            .field("id", one.id.to_string())
            .field("type", static_cast<int>(one.type))
            .field("permission", one.permission)
            .end_object();
    w.end_array().end_object();
}

void write(oauth2::json::writer& w, const oauth2::private_channel& c)
{
    w.begin_object().field("id", c.id.to_string()).field("type", static_cast<int>(c.type));
    w.key("last_message_id");
    if (c.last_message_id)
        w.value(c.last_message_id->to_string());
    else
        w.null();
    w.field("flags", c.flags).key("recipients");
    write(w, c.recipients);
    if (c.type == oauth2::channel_type::group_dm) {
        nullable_field(w, "name", c.name);
        nullable_field(w, "icon", c.icon);
        if (c.owner_id)
            w.field("owner_id", c.owner_id->to_string());
        optional_field(w, "managed", c.managed);
        if (c.application_id)
            w.field("application_id", c.application_id->to_string());
    }
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::group_dm_join& join)
{
    w.begin_object().field("added", join.added);
    if (join.channel) {
        w.key("channel");
        write(w, *join.channel);
    }
    w.end_object();
}

namespace {

std::int64_t unix_seconds(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The claims userinfo and ID tokens share.
template <class Claims>
void write_profile(oauth2::json::writer& w, const Claims& c)
{
    optional_field(w, "email", c.email);
    optional_field(w, "email_verified", c.email_verified);
    optional_field(w, "preferred_username", c.preferred_username);
    optional_field(w, "nickname", c.nickname);
    optional_field(w, "picture", c.picture);
    optional_field(w, "locale", c.locale);
}

} // namespace

void write(oauth2::json::writer& w, const oauth2::id_token_claims& c)
{
    w.begin_object().field("iss", c.issuer).field("sub", c.subject).key("aud").begin_array();
    for (const auto& a : c.audience)
        w.value(a);
    w.end_array();
    optional_field(w, "azp", c.authorized_party);
    w.field("exp", unix_seconds(c.expires_at)).field("iat", unix_seconds(c.issued_at));
    if (c.auth_time)
        w.field("auth_time", unix_seconds(*c.auth_time));
    optional_field(w, "nonce", c.nonce);
    write_profile(w, c);
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::openid_userinfo& u)
{
    w.begin_object().field("sub", u.subject);
    write_profile(w, u);
    w.end_object();
}

void write(oauth2::json::writer& w, const oauth2::application& a)
{
    w.begin_object().field("id", a.id.to_string()).field("name", a.name);
    nullable_field(w, "icon", a.icon);
    w.field("description", a.description).field("verify_key", a.verify_key);
    optional_field(w, "bot_public", a.bot_public);
    optional_field(w, "bot_require_code_grant", a.bot_require_code_grant);
    optional_field(w, "flags", a.flags);
    auto texts = [&](std::string_view name, const std::optional<std::vector<std::string>>& list) {
        if (!list)
            return;
        w.key(name).begin_array();
        for (const auto& t : *list)
            w.value(t);
        w.end_array();
    };
    texts("redirect_uris", a.redirect_uris);
    nullable_field(w, "interactions_endpoint_url", a.interactions_endpoint_url);
    nullable_field(w, "role_connections_verification_url", a.role_connections_verification_url);
    nullable_field(w, "event_webhooks_url", a.event_webhooks_url);
    optional_field(w, "event_webhooks_status", a.event_webhooks_status);
    texts("event_webhooks_types", a.event_webhooks_types);
    w.end_object();
}

template <class T>
void write(oauth2::json::writer& w, const std::vector<T>& items)
{
    w.begin_array();
    for (const auto& item : items)
        write(w, item);
    w.end_array();
}

template void write(oauth2::json::writer&, const std::vector<oauth2::connection>&);
template void write(oauth2::json::writer&, const std::vector<oauth2::partial_guild>&);
template void write(oauth2::json::writer&, const std::vector<oauth2::user>&);
template void write(oauth2::json::writer&, const std::vector<oauth2::guild_command_permissions>&);

} // namespace cli
