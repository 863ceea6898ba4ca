#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>
#include <cmath>
#include <ctime>
#include <span>

static_assert(discord::oauth2::http::padded_buffer::padding >= simdjson::SIMDJSON_PADDING,
              "response buffers must carry simdjson's padding");

namespace discord::oauth2::json {
namespace {

using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Where a decode is, for error messages ("guild.roles[0].id"): a chain of the enclosing
// fields and items, made into text only when a decode fails. Building the path of every field
// as it was read cost a string (and often an allocation) per field of every answer. The keys
// are views into the parser's string buffer, which outlives the decode.
struct context {
    const context* parent = nullptr;
    std::string_view key;  // this field's name
    std::size_t index = 0; // this item's index, when `item`
    bool item = false;

    [[nodiscard]] std::string path() const
    {
        if (!parent)
            return {};
        auto above = parent->path();
        if (item)
            return fmt::format("{}[{}]", above, index);
        return above.empty() ? std::string(key) : above + "." + std::string(key);
    }
};

[[noreturn]] void fail(const context& at, std::string_view what)
{
    auto path = at.path();
    throw error(errc::invalid_response,
                fmt::format("Discord's answer is not as expected: {} {}", path.empty() ? "the body" : path, what));
}

std::string text(value v, const context& at)
{
    std::string_view s;
    if (v.get_string().get(s))
        fail(at, "should be a string");
    return std::string(s);
}

std::optional<std::string> nullable_text(value v, const context& at)
{
    if (v.is_null())
        return std::nullopt;
    return text(v, at);
}

bool boolean(value v, const context& at)
{
    bool b = false;
    if (v.get_bool().get(b))
        fail(at, "should be true or false");
    return b;
}

std::int64_t integer(value v, const context& at)
{
    std::int64_t n = 0;
    if (v.get_int64().get(n))
        fail(at, "should be an integer");
    return n;
}

// Discord sends 64-bit values as strings (snowflakes, permissions) but some older fields as
// numbers: both are accepted.
std::uint64_t big_number(value v, const context& at)
{
    std::uint64_t n = 0;
    if (v.type() == simdjson::ondemand::json_type::string) {
        auto s = text(v, at);
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || end != s.data() + s.size())
            fail(at, "should be a number in a string");
        return n;
    }
    if (v.get_uint64().get(n))
        fail(at, "should be a non-negative integer");
    return n;
}

// Discord writes snowflakes as strings; a number up to 2^64-1 is read as the same snowflake.
snowflake id(value v, const context& at)
{
    if (v.type() == simdjson::ondemand::json_type::number) {
        std::uint64_t n = 0;
        if (v.get_uint64().get(n))
            fail(at, "should be a snowflake (an integer from 0 to 2^64-1)");
        return snowflake(n);
    }
    auto s = text(v, at);
    auto parsed = snowflake::parse(s);
    if (!parsed)
        fail(at, "should be a snowflake (an integer from 0 to 2^64-1)");
    return *parsed;
}

std::optional<snowflake> nullable_id(value v, const context& at)
{
    if (v.is_null())
        return std::nullopt;
    return id(v, at);
}

std::vector<std::string> texts(value v, const context& at)
{
    std::vector<std::string> out;
    simdjson::ondemand::array a;
    if (v.get_array().get(a))
        fail(at, "should be an array");
    for (auto item : a)
        out.push_back(text(item.value(), at));
    return out;
}

// The fields a schema requires: Discord's OpenAPI document's `required`, less those Discord's own
// documented examples leave out (docs/discord.md). tests/openapi/decode_variants.mjs checks these
// lists against the document, so a change on Discord's side fails a test rather than a user.
using required_fields = std::span<const std::string_view>;

constexpr std::array<std::string_view, 7> user_pii_required{
    "id", "username", "avatar", "discriminator", "public_flags", "flags", "global_name"};
constexpr std::array<std::string_view, 6> user_required{
    "id", "username", "avatar", "discriminator", "public_flags", "global_name"};
constexpr std::array<std::string_view, 2> avatar_decoration_required{"asset", "sku_id"};
constexpr std::array<std::string_view, 4> primary_guild_required{"identity_guild_id", "identity_enabled", "tag", "badge"};
constexpr std::array<std::string_view, 7> partial_guild_required{
    "id", "name", "icon", "banner", "owner", "permissions", "features"};
constexpr std::array<std::string_view, 8> member_required{
    "avatar", "banner", "joined_at", "nick", "roles", "user", "mute", "deaf"};
constexpr std::array<std::string_view, 8> connection_required{
    "id", "name", "type", "friend_sync", "show_activity", "two_way_link", "verified", "visibility"};
constexpr std::array<std::string_view, 3> authorization_required{"application", "expires", "scopes"};
constexpr std::array<std::string_view, 5> application_required{"id", "name", "icon", "description", "verify_key"};
// GET /applications/@me's (PrivateApplicationResponse): no documented example leaves any out.
constexpr std::array<std::string_view, 18> private_application_required{
    "id", "name", "icon", "description", "type", "verify_key", "flags", "flags_new", "redirect_uris",
    "interactions_endpoint_url", "role_connections_verification_url", "owner", "approximate_guild_count",
    "approximate_user_install_count", "approximate_user_authorization_count", "explicit_content_filter", "team",
    "eligible_oauth2_scopes"};
constexpr std::array<std::string_view, 2> api_error_required{"code", "message"};
constexpr std::array<std::string_view, 1> oauth_error_required{"error"};
constexpr std::array<std::string_view, 3> rate_limit_required{"message", "retry_after", "global"};
constexpr std::array<std::string_view, 4> device_required{"device_code", "user_code", "verification_uri", "expires_in"};
constexpr std::array<std::string_view, 4> token_required{"access_token", "token_type", "expires_in", "scope"};
constexpr std::array<std::string_view, 8> webhook_required{
    "application_id", "avatar", "channel_id", "id", "name", "type", "token", "url"};
constexpr std::array<std::string_view, 32> guild_required{
    "id", "name", "icon", "description", "splash", "discovery_splash", "features", "banner", "owner_id",
    "application_id", "region", "afk_channel_id", "afk_timeout", "system_channel_id", "system_channel_flags",
    "widget_enabled", "widget_channel_id", "verification_level", "roles", "default_message_notifications",
    "mfa_level", "explicit_content_filter", "max_presences", "max_members", "vanity_url_code", "premium_tier",
    "premium_subscription_count", "preferred_locale", "rules_channel_id", "safety_alerts_channel_id",
    "public_updates_channel_id", "emojis"};
constexpr std::array<std::string_view, 4> command_permissions_required{"id", "application_id", "guild_id", "permissions"};
constexpr std::array<std::string_view, 3> command_permission_required{"id", "type", "permission"};
// Every private channel's; a group DM's (type 3) also needs name, icon and owner_id.
constexpr std::array<std::string_view, 4> private_channel_required{"id", "type", "flags", "recipients"};
constexpr std::array<std::string_view, 4> role_metadata_required{"type", "key", "name", "description"};
constexpr std::array<std::string_view, 8> role_required{
    "id", "name", "permissions", "position", "color", "hoist", "managed", "mentionable"};
static_assert(guild_required.size() <= 64, "each_field marks the required fields it saw in 64 bits");

// A key against a field name: the length and the first byte settle most comparisons inline
// (std::string_view's == was a call per name tried, a visible share of decoding an answer).
[[gnu::always_inline]] inline bool is(std::string_view key, std::string_view name) noexcept
{
    return key.size() == name.size() && (name.empty() || key[0] == name[0])
        && std::memcmp(key.data(), name.data(), name.size()) == 0;
}

// Calls f(key, value, context) for every field of the object at `v`, then fails naming the first
// required field that was not there.
template <class F>
void each_field(value v, const context& at, required_fields required, F&& f)
{
    object o;
    if (v.get_object().get(o))
        fail(at, "should be an object");
    std::uint64_t seen = 0; // bit i: required[i] was present
    for (auto field : o) {
        std::string_view key;
        if (field.unescaped_key().get(key))
            fail(at, "is not valid JSON: a key is malformed or missing");
        for (std::size_t i = 0; i < required.size(); ++i)
            if (is(key, required[i]))
                seen |= std::uint64_t{1} << i;
        context inner{&at, key};
        f(key, field.value(), inner);
    }
    for (std::size_t i = 0; i < required.size(); ++i)
        if (!(seen & (std::uint64_t{1} << i)))
            fail(at, fmt::format("has no {}", required[i]));
}

template <class F>
void each_field(value v, const context& at, F&& f)
{
    each_field(v, at, required_fields{}, std::forward<F>(f));
}

template <class F>
void each_item(value v, const context& at, F&& f)
{
    simdjson::ondemand::array a;
    if (v.get_array().get(a))
        fail(at, "should be an array");
    std::size_t i = 0;
    for (auto item : a) {
        context inner{&at, {}, i++, true};
        f(item.value(), inner);
    }
}

std::optional<int> nullable_int(value v, const context& at)
{
    if (v.is_null())
        return std::nullopt;
    return static_cast<int>(integer(v, at));
}

// `required` tells the schema: the user of /users/@me (with its private fields) or a user inside
// another answer.
user read_user(value v, const context& at, required_fields required = user_required)
{
    user u;
    each_field(v, at, required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) u.id = id(f, c);
        else if (is(k, "username")) u.username = text(f, c);
        else if (is(k, "discriminator")) u.discriminator = text(f, c);
        else if (is(k, "global_name")) u.global_name = nullable_text(f, c);
        else if (is(k, "avatar")) u.avatar = nullable_text(f, c);
        else if (is(k, "bot")) u.bot = boolean(f, c);
        else if (is(k, "system")) u.system = boolean(f, c);
        else if (is(k, "mfa_enabled")) u.mfa_enabled = boolean(f, c);
        else if (is(k, "banner")) u.banner = nullable_text(f, c);
        else if (is(k, "accent_color")) { if (!f.is_null()) u.accent_color = static_cast<std::int32_t>(integer(f, c)); }
        else if (is(k, "locale")) u.locale = nullable_text(f, c);
        else if (is(k, "verified")) u.verified = boolean(f, c);
        else if (is(k, "email")) u.email = nullable_text(f, c);
        else if (is(k, "flags")) u.flags = big_number(f, c);
        else if (is(k, "premium_type")) { if (!f.is_null()) u.premium_type = static_cast<int>(integer(f, c)); }
        else if (is(k, "public_flags")) u.public_flags = big_number(f, c);
        else if (is(k, "avatar_decoration_data")) {
            if (!f.is_null()) {
                avatar_decoration d;
                each_field(f, c, avatar_decoration_required, [&](std::string_view k2, value f2, const context& c2) {
                    if (is(k2, "asset")) d.asset = text(f2, c2);
                    else if (is(k2, "sku_id")) d.sku_id = nullable_id(f2, c2);
                });
                u.avatar_decoration_data = d;
            }
        } else if (is(k, "primary_guild")) {
            if (!f.is_null()) {
                primary_guild g;
                each_field(f, c, primary_guild_required, [&](std::string_view k2, value f2, const context& c2) {
                    if (is(k2, "identity_guild_id")) g.identity_guild_id = nullable_id(f2, c2);
                    else if (is(k2, "identity_enabled")) { if (!f2.is_null()) g.identity_enabled = boolean(f2, c2); }
                    else if (is(k2, "tag")) g.tag = nullable_text(f2, c2);
                    else if (is(k2, "badge")) g.badge = nullable_text(f2, c2);
                });
                u.primary_guild = g;
            }
        }
    });
    return u;
}

connection read_connection(value v, const context& at)
{
    connection x;
    each_field(v, at, connection_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) x.id = text(f, c);
        else if (is(k, "name")) x.name = nullable_text(f, c);
        else if (is(k, "type")) x.type = text(f, c);
        else if (is(k, "revoked")) x.revoked = boolean(f, c);
        else if (is(k, "verified")) x.verified = boolean(f, c);
        else if (is(k, "friend_sync")) x.friend_sync = boolean(f, c);
        else if (is(k, "show_activity")) x.show_activity = boolean(f, c);
        else if (is(k, "two_way_link")) x.two_way_link = boolean(f, c);
        else if (is(k, "visibility")) x.visibility = static_cast<int>(integer(f, c));
    });
    return x;
}

partial_guild read_partial_guild(value v, const context& at)
{
    partial_guild g;
    each_field(v, at, partial_guild_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) g.id = id(f, c);
        else if (is(k, "name")) g.name = text(f, c);
        else if (is(k, "icon")) g.icon = nullable_text(f, c);
        else if (is(k, "banner")) g.banner = nullable_text(f, c);
        else if (is(k, "owner")) g.owner = boolean(f, c);
        else if (is(k, "permissions")) g.permissions = big_number(f, c);
        else if (is(k, "features")) g.features = texts(f, c);
        else if (is(k, "approximate_member_count")) g.approximate_member_count = nullable_int(f, c);
        else if (is(k, "approximate_presence_count")) g.approximate_presence_count = nullable_int(f, c);
    });
    return g;
}

guild_member read_member(value v, const context& at)
{
    guild_member m;
    each_field(v, at, member_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "user")) { if (!f.is_null()) m.user = read_user(f, c); }
        else if (is(k, "nick")) m.nick = nullable_text(f, c);
        else if (is(k, "avatar")) m.avatar = nullable_text(f, c);
        else if (is(k, "banner")) m.banner = nullable_text(f, c);
        else if (is(k, "roles")) each_item(f, c, [&](value r, const context& rc) { m.roles.push_back(id(r, rc)); });
        else if (is(k, "joined_at")) m.joined_at = nullable_text(f, c);
        else if (is(k, "premium_since")) m.premium_since = nullable_text(f, c);
        else if (is(k, "deaf")) m.deaf = boolean(f, c);
        else if (is(k, "mute")) m.mute = boolean(f, c);
        else if (is(k, "flags")) m.flags = big_number(f, c);
        else if (is(k, "pending")) m.pending = boolean(f, c);
        else if (is(k, "permissions")) m.permissions = big_number(f, c);
        else if (is(k, "communication_disabled_until")) m.communication_disabled_until = nullable_text(f, c);
    });
    return m;
}

role read_role(value v, const context& at)
{
    role r;
    std::optional<std::uint64_t> permissions_new;
    each_field(v, at, role_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) r.id = id(f, c);
        else if (is(k, "name")) r.name = text(f, c);
        else if (is(k, "permissions")) r.permissions = big_number(f, c);
        else if (is(k, "permissions_new")) permissions_new = big_number(f, c);
        else if (is(k, "color")) r.color = static_cast<int>(integer(f, c));
        else if (is(k, "position")) r.position = static_cast<int>(integer(f, c));
        else if (is(k, "hoist")) r.hoist = boolean(f, c);
        else if (is(k, "managed")) r.managed = boolean(f, c);
        else if (is(k, "mentionable")) r.mentionable = boolean(f, c);
    });
    if (permissions_new)
        r.permissions = *permissions_new; // the string form carries all 64 bits
    return r;
}

guild read_guild(value v, const context& at)
{
    guild g;
    each_field(v, at, guild_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) g.id = id(f, c);
        else if (is(k, "name")) g.name = text(f, c);
        else if (is(k, "icon")) g.icon = nullable_text(f, c);
        else if (is(k, "description")) g.description = nullable_text(f, c);
        else if (is(k, "banner")) g.banner = nullable_text(f, c);
        else if (is(k, "owner_id")) g.owner_id = id(f, c);
        else if (is(k, "features")) g.features = texts(f, c);
        else if (is(k, "roles")) each_item(f, c, [&](value r, const context& rc) { g.roles.push_back(read_role(r, rc)); });
        else if (is(k, "preferred_locale")) g.preferred_locale = nullable_text(f, c);
        else if (is(k, "verification_level")) g.verification_level = nullable_int(f, c);
        else if (is(k, "premium_tier")) g.premium_tier = nullable_int(f, c);
        else if (is(k, "max_members")) g.max_members = nullable_int(f, c);
    });
    return g;
}

application read_application(value v, const context& at, required_fields required = application_required)
{
    application a;
    each_field(v, at, required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) a.id = id(f, c);
        else if (is(k, "name")) a.name = text(f, c);
        else if (is(k, "icon")) a.icon = nullable_text(f, c);
        else if (is(k, "description")) a.description = text(f, c);
        else if (is(k, "hook")) a.hook = boolean(f, c);
        else if (is(k, "bot_public")) a.bot_public = boolean(f, c);
        else if (is(k, "bot_require_code_grant")) a.bot_require_code_grant = boolean(f, c);
        else if (is(k, "verify_key")) a.verify_key = text(f, c);
        else if (is(k, "flags")) a.flags = big_number(f, c);
        else if (is(k, "redirect_uris")) a.redirect_uris = texts(f, c);
        else if (is(k, "interactions_endpoint_url")) a.interactions_endpoint_url = nullable_text(f, c);
        else if (is(k, "role_connections_verification_url")) a.role_connections_verification_url = nullable_text(f, c);
        else if (is(k, "event_webhooks_url")) a.event_webhooks_url = nullable_text(f, c);
        else if (is(k, "event_webhooks_status")) a.event_webhooks_status = nullable_int(f, c);
        else if (is(k, "event_webhooks_types")) {
            if (!f.is_null())
                a.event_webhooks_types = texts(f, c);
        }
    });
    return a;
}

std::vector<command_permission> read_command_permission_list(value v, const context& at)
{
    std::vector<command_permission> out;
    each_item(v, at, [&](value item, const context& ic) {
        command_permission one;
        each_field(item, ic, command_permission_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "id")) one.id = id(f, c);
            else if (is(k, "type")) one.type = static_cast<command_permission_type>(integer(f, c));
            else if (is(k, "permission")) one.permission = boolean(f, c);
        });
        out.push_back(one);
    });
    return out;
}

guild_command_permissions read_command_permissions(value v, const context& at)
{
    guild_command_permissions p;
    each_field(v, at, command_permissions_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) p.id = id(f, c);
        else if (is(k, "application_id")) p.application_id = id(f, c);
        else if (is(k, "guild_id")) p.guild_id = id(f, c);
        else if (is(k, "permissions")) p.permissions = read_command_permission_list(f, c);
    });
    return p;
}

private_channel read_private_channel(value v, const context& at)
{
    private_channel ch;
    bool has_name = false, has_icon = false, has_owner = false;
    each_field(v, at, private_channel_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) ch.id = id(f, c);
        else if (is(k, "type")) ch.type = static_cast<channel_type>(integer(f, c));
        else if (is(k, "last_message_id")) ch.last_message_id = nullable_id(f, c);
        else if (is(k, "flags")) ch.flags = big_number(f, c);
        else if (is(k, "last_pin_timestamp")) ch.last_pin_timestamp = nullable_text(f, c);
        else if (is(k, "recipients")) each_item(f, c, [&](value u, const context& uc) { ch.recipients.push_back(read_user(u, uc)); });
        else if (is(k, "name")) { has_name = true; ch.name = nullable_text(f, c); }
        else if (is(k, "icon")) { has_icon = true; ch.icon = nullable_text(f, c); }
        else if (is(k, "owner_id")) { has_owner = true; ch.owner_id = id(f, c); }
        else if (is(k, "managed")) ch.managed = boolean(f, c);
        else if (is(k, "application_id")) ch.application_id = id(f, c);
    });
    if (ch.type == channel_type::group_dm) {
        if (!has_name) fail(at, "has no name");
        if (!has_icon) fail(at, "has no icon");
        if (!has_owner) fail(at, "has no owner_id");
    }
    return ch;
}

webhook read_webhook(value v, const context& at)
{
    webhook w;
    each_field(v, at, webhook_required, [&](std::string_view k, value f, const context& c) {
        if (is(k, "id")) w.id = id(f, c);
        else if (is(k, "type")) w.type = static_cast<int>(integer(f, c));
        else if (is(k, "guild_id")) w.guild_id = nullable_id(f, c);
        else if (is(k, "channel_id")) w.channel_id = nullable_id(f, c);
        else if (is(k, "name")) w.name = nullable_text(f, c);
        else if (is(k, "avatar")) w.avatar = nullable_text(f, c);
        else if (is(k, "application_id")) w.application_id = nullable_id(f, c);
        else if (is(k, "token")) w.token = secret(text(f, c));
        else if (is(k, "url")) w.url = secret(text(f, c));
    });
    return w;
}

std::vector<std::string> split_scopes(std::string_view s)
{
    std::vector<std::string> out;
    while (!s.empty()) {
        auto space = s.find(' ');
        if (auto item = s.substr(0, space); !item.empty())
            out.emplace_back(item);
        if (space == std::string_view::npos)
            break;
        s.remove_prefix(space + 1);
    }
    return out;
}

void flatten_errors(value v, const context& at, const std::string& path, std::vector<field_error>& out)
{
    each_field(v, at, [&](std::string_view k, value f, const context& c) {
        if (is(k, "_errors")) {
            each_item(f, c, [&](value e, const context& ec) {
                field_error fe;
                fe.path = path;
                each_field(e, ec, [&](std::string_view k2, value f2, const context& c2) {
                    if (is(k2, "code")) {
                        // Documented as strings; Discord's spec says integers: take both.
                        if (f2.type() == simdjson::ondemand::json_type::string)
                            fe.code = text(f2, c2);
                        else
                            fe.code = std::to_string(integer(f2, c2));
                    } else if (is(k2, "message")) {
                        fe.message = text(f2, c2);
                    }
                });
                out.push_back(std::move(fe));
            });
        } else {
            flatten_errors(f, c, path.empty() ? std::string(k) : path + "." + std::string(k), out);
        }
    });
}

// Runs `read` on the document's root value, turning simdjson's failures into our error.
template <class F>
auto decode(const http::padded_buffer& body, std::string_view what, F&& read)
{
    thread_local simdjson::ondemand::parser parser;
    context at{};
    try {
        auto doc = parser.iterate(body.data(), body.size(), body.capacity());
        value root;
        if (doc.get_value().get(root))
            fail(at, fmt::format("is not JSON (expected {})", what));
        return read(root, at);
    } catch (const simdjson::simdjson_error& e) {
        throw error(errc::invalid_response,
                    fmt::format("Discord's answer is not valid JSON ({}): {}", what, e.what()));
    }
}

// The whole document is `null` (On-Demand cannot ask a root value whether it is null).
bool is_null_document(const http::padded_buffer& body)
{
    auto text = body.view();
    auto first = text.find_first_not_of(" \t\r\n");
    auto last = text.find_last_not_of(" \t\r\n");
    return first != std::string_view::npos && text.substr(first, last - first + 1) == "null";
}

} // namespace

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s)
{
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    auto num = [&](std::size_t pos, std::size_t len, int& out) {
        if (pos + len > s.size())
            return false;
        auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
        return ec == std::errc() && end == s.data() + pos + len;
    };
    int year, month, day, hour, minute, second;
    if (s.size() < 20 || !num(0, 4, year) || s[4] != '-' || !num(5, 2, month) || s[7] != '-' || !num(8, 2, day)
        || (s[10] != 'T' && s[10] != ' ') || !num(11, 2, hour) || s[13] != ':' || !num(14, 2, minute) || s[16] != ':'
        || !num(17, 2, second))
        return std::nullopt;
    std::size_t pos = 19;
    std::chrono::microseconds fraction{0};
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        long long micros = 0;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6) {
                micros = micros * 10 + (s[pos] - '0');
                ++digits;
            }
            ++pos;
        }
        if (digits == 0)
            return std::nullopt;
        while (digits++ < 6)
            micros *= 10;
        fraction = std::chrono::microseconds(micros);
    }
    std::chrono::minutes offset{0};
    if (pos < s.size() && s[pos] == 'Z') {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!num(pos + 1, 2, oh) || s.size() < pos + 6 || s[pos + 3] != ':' || !num(pos + 4, 2, om) || oh < 0
            || oh > 23 || om < 0 || om > 59)
            return std::nullopt;
        offset = std::chrono::minutes(oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    // Years past 2200 (or before 1900) are refused before they become nanoseconds: system_clock
    // counts nanoseconds in 64 bits, which end in 2262. from_chars also reads a sign: "-1" is no hour.
    if (pos != s.size() || year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0
        || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
        return std::nullopt;
    auto ymd = std::chrono::year{year} / month / day;
    if (!ymd.ok())
        return std::nullopt;
    auto t = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute)
        + std::chrono::seconds(second) + fraction - offset;
    return std::chrono::time_point_cast<std::chrono::system_clock::duration>(t);
}

application decode_application(const http::padded_buffer& body)
{
    return decode(body, "an application",
                  [](value v, const context& at) { return read_application(v, at, private_application_required); });
}

guild_command_permissions decode_guild_command_permissions(const http::padded_buffer& body)
{
    return decode(body, "command permissions", [](value v, const context& at) { return read_command_permissions(v, at); });
}

std::vector<guild_command_permissions> decode_guild_command_permissions_list(const http::padded_buffer& body)
{
    return decode(body, "a list of command permissions", [](value v, const context& at) {
        std::vector<guild_command_permissions> out;
        each_item(v, at, [&](value item, const context& c) { out.push_back(read_command_permissions(item, c)); });
        return out;
    });
}

std::vector<command_permission> decode_command_permissions_body(const http::padded_buffer& body)
{
    static constexpr std::array<std::string_view, 1> required{"permissions"};
    return decode(body, "command permissions", [](value v, const context& at) {
        std::vector<command_permission> out;
        each_field(v, at, required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "permissions")) out = read_command_permission_list(f, c);
        });
        return out;
    });
}

private_channel decode_private_channel(const http::padded_buffer& body)
{
    return decode(body, "a channel", [](value v, const context& at) { return read_private_channel(v, at); });
}

user decode_user(const http::padded_buffer& body)
{
    return decode(body, "a user", [](value v, const context& at) { return read_user(v, at, user_pii_required); });
}

std::vector<connection> decode_connections(const http::padded_buffer& body)
{
    if (is_null_document(body)) // the spec allows null for an empty list
        return {};
    return decode(body, "a list of connections", [](value v, const context& at) {
        std::vector<connection> out;
        each_item(v, at, [&](value item, const context& c) { out.push_back(read_connection(item, c)); });
        return out;
    });
}

partial_guild decode_partial_guild(const http::padded_buffer& body)
{
    return decode(body, "a guild", [](value v, const context& at) { return read_partial_guild(v, at); });
}

std::vector<partial_guild> decode_partial_guilds(const http::padded_buffer& body)
{
    if (is_null_document(body)) // the spec allows null for an empty list
        return {};
    return decode(body, "a list of guilds", [](value v, const context& at) {
        std::vector<partial_guild> out;
        each_item(v, at, [&](value item, const context& c) { out.push_back(read_partial_guild(item, c)); });
        return out;
    });
}

guild_member decode_guild_member(const http::padded_buffer& body)
{
    return decode(body, "a guild member", [](value v, const context& at) { return read_member(v, at); });
}

guild decode_guild(const http::padded_buffer& body)
{
    return decode(body, "a guild", [](value v, const context& at) { return read_guild(v, at); });
}

authorization_info decode_authorization_info(const http::padded_buffer& body)
{
    return decode(body, "authorization information", [](value v, const context& at) {
        authorization_info info;
        each_field(v, at, authorization_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "application")) info.application = read_application(f, c);
            else if (is(k, "scopes")) info.scopes = texts(f, c);
            else if (is(k, "expires")) {
                auto t = parse_iso8601(text(f, c));
                if (!t)
                    fail(c, "should be an ISO 8601 time");
                info.expires = *t;
            } else if (is(k, "user")) {
                if (!f.is_null())
                    info.user = read_user(f, c);
            }
        });
        return info;
    });
}

role_connection decode_role_connection(const http::padded_buffer& body)
{
    return decode(body, "a role connection", [](value v, const context& at) {
        role_connection rc;
        each_field(v, at, [&](std::string_view k, value f, const context& c) {
            if (is(k, "platform_name")) rc.platform_name = nullable_text(f, c);
            else if (is(k, "platform_username")) rc.platform_username = nullable_text(f, c);
            else if (is(k, "metadata"))
                each_field(f, c, [&](std::string_view mk, value mv, const context& mc) {
                    // Discord stores metadata values as strings; integers are accepted too.
                    rc.metadata[std::string(mk)] = mv.type() == simdjson::ondemand::json_type::string
                        ? text(mv, mc)
                        : std::to_string(integer(mv, mc));
                });
        });
        return rc;
    });
}

std::vector<role_connection_metadata> decode_role_connection_metadata(const http::padded_buffer& body)
{
    if (is_null_document(body))
        return {};
    return decode(body, "role connection metadata", [](value v, const context& at) {
        std::vector<role_connection_metadata> out;
        each_item(v, at, [&](value item, const context& c) {
            role_connection_metadata r;
            auto localizations = [](value f, const context& fc, std::map<std::string, std::string>& into) {
                if (f.is_null())
                    return;
                each_field(f, fc, [&](std::string_view locale, value t, const context& tc) {
                    if (!t.is_null()) // the spec allows a null text: no localization for that locale
                        into[std::string(locale)] = text(t, tc);
                });
            };
            each_field(item, c, role_metadata_required, [&](std::string_view k, value f, const context& fc) {
                if (is(k, "type")) {
                    auto type = integer(f, fc);
                    if (type < INT32_MIN || type > INT32_MAX)
                        fail(fc, "should be a metadata type");
                    r.type = static_cast<role_metadata_type>(type);
                } else if (is(k, "key")) r.key = text(f, fc);
                else if (is(k, "name")) r.name = text(f, fc);
                else if (is(k, "description")) r.description = text(f, fc);
                else if (is(k, "name_localizations")) localizations(f, fc, r.name_localizations);
                else if (is(k, "description_localizations")) localizations(f, fc, r.description_localizations);
            });
            out.push_back(std::move(r));
        });
        return out;
    });
}

access_token decode_access_token(const http::padded_buffer& body, std::chrono::system_clock::time_point received)
{
    return decode(body, "a token response", [&](value v, const context& at) {
        access_token t;
        each_field(v, at, token_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "access_token")) {
                t.token = secret(text(f, c));
                if (t.token.empty())
                    fail(c, "is empty");
            } else if (is(k, "token_type")) t.token_type = text(f, c);
            else if (is(k, "expires_in")) {
                // Bounded before it meets a time point: system_clock's nanoseconds end in 2262.
                auto seconds = integer(f, c);
                if (seconds < 0 || seconds > 1'000'000'000)
                    fail(c, "should be a lifetime from 0 to 1,000,000,000 seconds");
                t.expires_in = std::chrono::seconds(seconds);
            }
            else if (is(k, "refresh_token")) { if (!f.is_null()) t.refresh_token = secret(text(f, c)); }
            else if (is(k, "scope")) t.scopes = split_scopes(text(f, c));
            else if (is(k, "webhook")) t.webhook = read_webhook(f, c);
            else if (is(k, "guild")) t.guild = read_guild(f, c);
            else if (is(k, "id_token")) t.id_token = secret(text(f, c));
        });
        t.expires_at = received + t.expires_in;
        return t;
    });
}

oauth_error_body decode_oauth_error(const http::padded_buffer& body)
{
    return decode(body, "an OAuth2 error", [](value v, const context& at) {
        oauth_error_body e;
        each_field(v, at, oauth_error_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "error")) e.error = text(f, c);
            else if (is(k, "error_description")) e.error_description = nullable_text(f, c);
        });
        return e;
    });
}

api_error_body decode_api_error(const http::padded_buffer& body)
{
    return decode(body, "an API error", [](value v, const context& at) {
        api_error_body e;
        each_field(v, at, api_error_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "code")) e.code = static_cast<int>(integer(f, c));
            else if (is(k, "message")) e.message = text(f, c);
            else if (is(k, "errors")) flatten_errors(f, c, "", e.errors);
        });
        return e;
    });
}

rate_limit_body decode_rate_limit(const http::padded_buffer& body)
{
    return decode(body, "a rate limit", [](value v, const context& at) {
        rate_limit_body r;
        each_field(v, at, rate_limit_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "message")) r.message = text(f, c);
            else if (is(k, "retry_after")) {
                double d = 0;
                if (f.get_double().get(d))
                    fail(c, "should be a number");
                r.retry_after = d;
            } else if (is(k, "global")) r.global = boolean(f, c);
            else if (is(k, "code")) r.code = nullable_int(f, c);
        });
        return r;
    });
}

issuer_metadata decode_issuer_metadata(const http::padded_buffer& body)
{
    return decode(body, "authorization server metadata", [](value v, const context& at) {
        issuer_metadata m;
        each_field(v, at, [&](std::string_view k, value f, const context& c) {
            if (is(k, "issuer")) m.issuer = text(f, c);
            else if (is(k, "authorization_endpoint")) m.authorization_endpoint = text(f, c);
            else if (is(k, "token_endpoint")) m.token_endpoint = text(f, c);
            else if (is(k, "revocation_endpoint")) m.revocation_endpoint = text(f, c);
            else if (is(k, "device_authorization_endpoint")) m.device_authorization_endpoint = text(f, c);
            else if (is(k, "jwks_uri")) m.jwks_uri = text(f, c);
            else if (is(k, "userinfo_endpoint")) m.userinfo_endpoint = text(f, c);
        });
        return m;
    });
}

jose_header decode_jose_header(const http::padded_buffer& body)
{
    static constexpr std::array<std::string_view, 1> required{"alg"};
    return decode(body, "a JWS header", [](value v, const context& at) {
        jose_header h;
        each_field(v, at, required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "alg")) h.alg = text(f, c);
            else if (is(k, "kid")) h.kid = text(f, c);
            else if (is(k, "typ")) h.typ = text(f, c);
            else if (is(k, "crit")) fail(c, "names extensions this verifier does not understand");
        });
        return h;
    });
}

std::vector<jwk> decode_jwks(const http::padded_buffer& body)
{
    static constexpr std::array<std::string_view, 1> set_required{"keys"};
    static constexpr std::array<std::string_view, 1> key_required{"kty"};
    return decode(body, "a JWK set", [](value v, const context& at) {
        std::vector<jwk> keys;
        each_field(v, at, set_required, [&](std::string_view k, value f, const context& c) {
            if (k != "keys")
                return;
            each_item(f, c, [&](value item, const context& ic) {
                jwk key;
                each_field(item, ic, key_required, [&](std::string_view kk, value kf, const context& kc) {
                    if (is(kk, "kty")) key.kty = text(kf, kc);
                    else if (is(kk, "kid")) key.kid = text(kf, kc);
                    else if (is(kk, "alg")) key.alg = text(kf, kc);
                    else if (is(kk, "use")) key.use = text(kf, kc);
                    else if (is(kk, "crv")) key.crv = text(kf, kc);
                    else if (is(kk, "n")) key.n = text(kf, kc);
                    else if (is(kk, "e")) key.e = text(kf, kc);
                    else if (is(kk, "x")) key.x = text(kf, kc);
                    else if (is(kk, "y")) key.y = text(kf, kc);
                });
                keys.push_back(std::move(key));
            });
        });
        return keys;
    });
}

namespace {

// A NumericDate (RFC 7519 §2): seconds since 1970, an integer or a fraction, within the years
// system_clock can hold.
std::chrono::system_clock::time_point numeric_date(value v, const context& at)
{
    double seconds = 0;
    if (v.get_double().get(seconds) || !std::isfinite(seconds) || seconds < 0 || seconds > 8'000'000'000.0)
        fail(at, "should be a time in seconds since 1970");
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(seconds)));
}

} // namespace

id_token_claims decode_id_token_claims(const http::padded_buffer& body)
{
    static constexpr std::array<std::string_view, 5> required{"iss", "sub", "aud", "exp", "iat"};
    return decode(body, "an ID token's claims", [](value v, const context& at) {
        id_token_claims c;
        each_field(v, at, required, [&](std::string_view k, value f, const context& fc) {
            if (is(k, "iss")) c.issuer = text(f, fc);
            else if (is(k, "sub")) c.subject = text(f, fc);
            else if (is(k, "aud")) {
                if (f.type() == simdjson::ondemand::json_type::array)
                    c.audience = texts(f, fc);
                else
                    c.audience = {text(f, fc)};
                if (c.audience.empty())
                    fail(fc, "names no audience");
            }
            else if (is(k, "azp")) c.authorized_party = text(f, fc);
            else if (is(k, "exp")) c.expires_at = numeric_date(f, fc);
            else if (is(k, "iat")) c.issued_at = numeric_date(f, fc);
            else if (is(k, "auth_time")) c.auth_time = numeric_date(f, fc);
            else if (is(k, "nonce")) c.nonce = text(f, fc);
            else if (is(k, "email")) c.email = nullable_text(f, fc);
            else if (is(k, "email_verified")) c.email_verified = boolean(f, fc);
            else if (is(k, "preferred_username")) c.preferred_username = nullable_text(f, fc);
            else if (is(k, "nickname")) c.nickname = nullable_text(f, fc);
            else if (is(k, "picture")) c.picture = nullable_text(f, fc);
            else if (is(k, "locale")) c.locale = nullable_text(f, fc);
        });
        return c;
    });
}

openid_userinfo decode_openid_userinfo(const http::padded_buffer& body)
{
    static constexpr std::array<std::string_view, 1> required{"sub"};
    return decode(body, "userinfo", [](value v, const context& at) {
        openid_userinfo u;
        each_field(v, at, required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "sub")) u.subject = text(f, c);
            else if (is(k, "email")) u.email = nullable_text(f, c);
            else if (is(k, "email_verified")) u.email_verified = boolean(f, c);
            else if (is(k, "preferred_username")) u.preferred_username = nullable_text(f, c);
            else if (is(k, "nickname")) u.nickname = nullable_text(f, c);
            else if (is(k, "picture")) u.picture = nullable_text(f, c);
            else if (is(k, "locale")) u.locale = nullable_text(f, c);
        });
        return u;
    });
}

device_authorization decode_device_authorization(const http::padded_buffer& body,
                                                 std::chrono::system_clock::time_point received)
{
    return decode(body, "a device authorization", [&](value v, const context& at) {
        device_authorization d;
        each_field(v, at, device_required, [&](std::string_view k, value f, const context& c) {
            if (is(k, "device_code")) {
                d.device_code = secret(text(f, c));
                if (d.device_code.empty())
                    fail(c, "is empty");
            } else if (is(k, "user_code")) d.user_code = text(f, c);
            else if (is(k, "verification_uri")) d.verification_uri = text(f, c);
            else if (is(k, "verification_uri_complete")) d.verification_uri_complete = nullable_text(f, c);
            else if (is(k, "expires_in")) {
                auto seconds = integer(f, c);
                if (seconds <= 0 || seconds > 86'400)
                    fail(c, "should be a lifetime from 1 to 86,400 seconds");
                d.expires_in = std::chrono::seconds(seconds);
            } else if (is(k, "interval")) {
                if (f.is_null())
                    return;
                auto seconds = integer(f, c);
                if (seconds < 0 || seconds > 3'600)
                    fail(c, "should be from 0 to 3,600 seconds");
                d.interval = std::chrono::seconds(seconds);
            }
        });
        d.expires_at = received + d.expires_in;
        return d;
    });
}

} // namespace discord::oauth2::json
