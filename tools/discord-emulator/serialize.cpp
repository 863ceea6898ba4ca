// The emulator's models as Discord writes them (docs/discord.md, tests/data/discord-docs/).
#include "emulator_impl.hpp"

namespace discord::oauth2::emulator {

void write_user(json::writer& w, const user& u, bool with_email)
{
    w.begin_object()
        .field("id", to_string(u.id))
        .field("username", u.username)
        .key("global_name").value_or_null(u.global_name)
        .field("discriminator", u.discriminator)
        .key("avatar").value_or_null(u.avatar);
    if (u.bot)
        w.field("bot", true);
    w.key("banner").value_or_null(u.banner);
    w.key("accent_color");
    if (u.accent_color)
        w.value(*u.accent_color);
    else
        w.null();
    w.field("mfa_enabled", u.mfa_enabled)
        .field("locale", u.locale)
        .field("flags", u.flags);
    if (u.premium_type)
        w.field("premium_type", *u.premium_type);
    w.field("public_flags", u.public_flags);
    w.key("avatar_decoration_data");
    if (u.decoration_asset) {
        w.begin_object().field("asset", *u.decoration_asset).key("sku_id");
        if (u.decoration_sku_id)
            w.value(to_string(*u.decoration_sku_id));
        else
            w.null();
        w.end_object();
    } else {
        w.null();
    }
    w.key("primary_guild");
    if (u.primary_guild_id) {
        w.begin_object()
            .field("identity_guild_id", to_string(*u.primary_guild_id))
            .field("identity_enabled", u.primary_guild_tag.has_value())
            .key("tag").value_or_null(u.primary_guild_tag)
            .key("badge").null()
            .end_object();
    } else {
        w.null();
    }
    if (with_email) { // only with the `email` scope
        w.field("verified", u.verified);
        w.key("email");
        if (u.email.empty())
            w.null();
        else
            w.value(u.email);
    }
    w.end_object();
}

void write_application(json::writer& w, const application& a)
{
    w.begin_object()
        .field("id", to_string(a.id))
        .field("name", a.name)
        .key("icon").value_or_null(a.icon)
        .field("description", a.description)
        .field("hook", a.hook)
        .field("bot_public", a.bot_public)
        .field("bot_require_code_grant", a.bot_require_code_grant)
        .field("verify_key", a.verify_key)
        .key("type").null()
        .field("flags", 0)
        .field("flags_new", "0")
        .end_object();
}

void write_private_application(json::writer& w, const application& a, const user* owner)
{
    w.begin_object()
        .field("id", to_string(a.id))
        .field("name", a.name)
        .key("icon").value_or_null(a.icon)
        .field("description", a.description)
        .key("type").null()
        .field("bot_public", a.bot_public)
        .field("bot_require_code_grant", a.bot_require_code_grant)
        .field("verify_key", a.verify_key)
        .field("flags", 0)
        .field("flags_new", "0");
    w.key("redirect_uris").begin_array();
    for (const auto& u : a.redirect_uris)
        w.value(u);
    w.end_array();
    w.key("interactions_endpoint_url").null();
    w.key("role_connections_verification_url").value_or_null(a.role_connections_verification_url);
    if (owner) {
        w.key("owner");
        write_user(w, *owner, false);
    }
    w.field("approximate_guild_count", 0)
        .field("approximate_user_install_count", 0)
        .field("approximate_user_authorization_count", 0)
        .field("explicit_content_filter", 0)
        .key("team").null();
    w.key("eligible_oauth2_scopes").begin_array().end_array();
    w.key("event_webhooks_url").value_or_null(a.event_webhooks_url);
    w.field("event_webhooks_status", a.event_webhooks_status);
    w.key("event_webhooks_types").begin_array();
    for (const auto& t : a.event_webhooks_types)
        w.value(t);
    w.end_array();
    w.end_object();
}

void write_partial_guild(json::writer& w, const guild& g, snowflake user_id, bool with_counts)
{
    const auto& m = g.members.at(user_id);
    w.begin_object()
        .field("id", to_string(g.id))
        .field("name", g.name)
        .key("icon").value_or_null(g.icon)
        .key("banner").value_or_null(g.banner)
        .field("owner", g.owner_id == user_id)
        .field("permissions", m.permissions)
        .key("features").begin_array();
    for (const auto& f : g.features)
        w.value(f);
    w.end_array();
    if (with_counts && g.counts_unknown) {
        w.key("approximate_member_count").null().key("approximate_presence_count").null();
    } else if (with_counts) {
        w.field("approximate_member_count", g.approximate_member_count.value_or(static_cast<int>(g.members.size())));
        w.field("approximate_presence_count", g.approximate_presence_count);
    }
    w.end_object();
}

void write_member(json::writer& w, const user& u, const member& m)
{
    w.begin_object().key("user");
    write_user(w, u, false);
    w.key("nick").value_or_null(m.nick).key("avatar").null().key("banner").null();
    w.key("roles").begin_array();
    for (auto r : m.roles)
        w.value(to_string(r));
    w.end_array()
        .field("joined_at", m.joined_at)
        .key("premium_since").null()
        .field("deaf", m.deaf)
        .field("mute", m.mute)
        .field("flags", m.flags)
        .field("pending", m.pending)
        .key("communication_disabled_until").null()
        .end_object();
}

void write_connection(json::writer& w, const connection& c)
{
    w.begin_object()
        .field("id", c.id)
        .key("name").value_or_null(c.name)
        .field("type", c.type)
        .field("friend_sync", c.friend_sync)
        .key("integrations").begin_array().end_array()
        .field("show_activity", c.show_activity)
        .field("two_way_link", c.two_way_link)
        .field("verified", c.verified)
        .field("visibility", c.visibility);
    if (c.revoked)
        w.field("revoked", true);
    w.end_object();
}

void write_full_guild(json::writer& w, const guild& g)
{
    // The fields of the documentation's bot-authorization example, in its shape.
    w.begin_object()
        .field("id", to_string(g.id))
        .field("name", g.name)
        .key("icon").value_or_null(g.icon)
        .key("description").null()
        .key("splash").null()
        .key("discovery_splash").null()
        .key("banner").value_or_null(g.banner)
        .field("owner_id", to_string(g.owner_id))
        .key("application_id").null()
        .field("region", "us-east")
        .key("afk_channel_id").null()
        .field("afk_timeout", 300)
        .key("system_channel_id").null()
        .field("widget_enabled", false)
        .key("widget_channel_id").null()
        .field("verification_level", 0)
        .key("roles").begin_array()
        .begin_object()
        .field("id", to_string(g.id))
        .field("name", "@everyone")
        .field("color", 0)
        .field("hoist", false)
        .field("position", 0)
        .field("permissions", std::int64_t{49794241})
        .field("permissions_new", "49794241")
        .field("managed", false)
        .field("mentionable", false)
        .end_object()
        .end_array()
        .field("default_message_notifications", 1)
        .field("mfa_level", 0)
        .field("explicit_content_filter", 0)
        .key("max_presences").null()
        .field("max_members", 100000)
        .field("max_video_channel_users", 25)
        .key("vanity_url_code").null()
        .field("premium_tier", 0)
        .field("premium_subscription_count", 0)
        .field("system_channel_flags", 0)
        .field("preferred_locale", "en-US")
        .key("rules_channel_id").null()
        .key("safety_alerts_channel_id").null()
        .key("public_updates_channel_id").null()
        .key("emojis").begin_array().end_array()
        .key("features").begin_array();
    for (const auto& f : g.features)
        w.value(f);
    w.end_array().end_object();
}

} // namespace discord::oauth2::emulator
