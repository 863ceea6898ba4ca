// Reads the emulator's world from JSON (docs/emulator.md, "Seed files"). Every input is checked:
// missing or mistyped fields and dangling references are errors that name the field.
#include "seed_file.hpp"

#include <algorithm>

#include <discord/oauth2/error.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

namespace discord::oauth2::emulator {
namespace {

using simdjson::dom::element;

[[noreturn]] void bad(const std::string& where, std::string_view what)
{
    throw error(errc::invalid_argument, fmt::format("seed: {} {}", where, what));
}

// Accessors that say where the problem is.
struct reader {
    element e;
    std::string where;

    bool has(std::string_view key) const { return e[key].error() != simdjson::NO_SUCH_FIELD; }
    bool is_null(std::string_view key) const { return has(key) && e[key].is_null(); }

    std::string text(std::string_view key) const
    {
        std::string_view v;
        if (!has(key))
            bad(where + "." + std::string(key), "is missing");
        if (e[key].get(v))
            bad(where + "." + std::string(key), "must be a string");
        return std::string(v);
    }
    std::string text_or(std::string_view key, std::string fallback) const
    {
        return has(key) && !is_null(key) ? text(key) : fallback;
    }
    std::optional<std::string> nullable_text(std::string_view key) const
    {
        if (!has(key) || is_null(key))
            return std::nullopt;
        return text(key);
    }
    snowflake id(std::string_view key) const
    {
        auto t = text(key);
        auto v = parse_snowflake(t);
        if (!v)
            bad(where + "." + std::string(key), "must be a snowflake as a string, like \"80351110224678912\"");
        return *v;
    }
    bool flag(std::string_view key, bool fallback) const
    {
        if (!has(key))
            return fallback;
        bool v = false;
        if (e[key].get(v))
            bad(where + "." + std::string(key), "must be true or false");
        return v;
    }
    int integer(std::string_view key, int fallback) const
    {
        if (!has(key) || is_null(key))
            return fallback;
        std::int64_t v = 0;
        if (e[key].get(v))
            bad(where + "." + std::string(key), "must be an integer");
        return static_cast<int>(v);
    }
    // The elements of an array field (none when it is absent: a default dom::array has no tape).
    std::vector<element> array(std::string_view key) const
    {
        std::vector<element> out;
        if (!has(key))
            return out;
        simdjson::dom::array a;
        if (e[key].get(a))
            bad(where + "." + std::string(key), "must be an array");
        for (auto item : a)
            out.push_back(item);
        return out;
    }
    std::vector<std::string> texts(std::string_view key) const
    {
        std::vector<std::string> out;
        std::size_t i = 0;
        for (auto item : array(key)) {
            std::string_view v;
            if (item.get(v))
                bad(fmt::format("{}.{}[{}]", where, key, i), "must be a string");
            out.emplace_back(v);
            ++i;
        }
        return out;
    }
};

user read_user(const reader& r)
{
    user u;
    u.id = r.id("id");
    u.username = r.text("username");
    u.global_name = r.nullable_text("global_name");
    u.discriminator = r.text_or("discriminator", "0");
    u.avatar = r.nullable_text("avatar");
    u.banner = r.nullable_text("banner");
    if (r.has("accent_color") && !r.is_null("accent_color"))
        u.accent_color = r.integer("accent_color", 0);
    u.email = r.text_or("email", "");
    u.verified = r.flag("verified", true);
    u.mfa_enabled = r.flag("mfa_enabled", false);
    u.locale = r.text_or("locale", "en-US");
    u.flags = r.integer("flags", 0);
    if (r.has("premium_type") && !r.is_null("premium_type"))
        u.premium_type = r.integer("premium_type", 0);
    else if (r.has("premium_type"))
        u.premium_type.reset();
    u.public_flags = r.integer("public_flags", 0);
    u.bot = r.flag("bot", false);
    return u;
}

connection read_connection(const reader& r)
{
    connection c;
    c.id = r.text("id");
    c.name = r.nullable_text("name");
    c.type = r.text("type");
    c.verified = r.flag("verified", true);
    c.revoked = r.flag("revoked", false);
    c.friend_sync = r.flag("friend_sync", false);
    c.show_activity = r.flag("show_activity", true);
    c.two_way_link = r.flag("two_way_link", false);
    c.visibility = r.integer("visibility", 1);
    return c;
}

} // namespace

seed parse_seed(std::string_view json)
{
    simdjson::dom::parser parser;
    element root;
    if (auto err = parser.parse(simdjson::padded_string(json)).get(root))
        bad("file", fmt::format("is not JSON: {}", simdjson::error_message(err)));
    if (!root.is_object())
        bad("file", "must hold an object with users, connections, guilds and applications");
    reader top{root, "$"};
    seed s;
    std::set<snowflake> user_ids;

    std::size_t i = 0;
    for (auto e : top.array("users")) {
        auto u = read_user({e, fmt::format("users[{}]", i++)});
        if (!user_ids.insert(u.id).second)
            bad(fmt::format("users[{}].id", i - 1), "repeats another user's id");
        s.users.push_back(std::move(u));
    }
    if (s.users.empty())
        bad("users", "must name at least one user");

    if (top.has("connections")) {
        simdjson::dom::object by_user;
        if (root["connections"].get(by_user))
            bad("connections", "must be an object of user id to a list of connections");
        for (auto [key, list] : by_user) {
            auto owner = parse_snowflake(key);
            auto where = fmt::format("connections.{}", key);
            if (!owner || !user_ids.contains(*owner))
                bad(where, "is not the id of a seeded user");
            simdjson::dom::array items;
            if (list.get(items))
                bad(where, "must be an array");
            std::size_t k = 0;
            for (auto c : items)
                s.connections[*owner].push_back(read_connection({c, fmt::format("{}[{}]", where, k++)}));
        }
    }

    i = 0;
    for (auto e : top.array("guilds")) {
        reader r{e, fmt::format("guilds[{}]", i++)};
        guild g;
        g.id = r.id("id");
        g.name = r.text("name");
        g.icon = r.nullable_text("icon");
        g.banner = r.nullable_text("banner");
        g.owner_id = r.id("owner_id");
        if (!user_ids.contains(g.owner_id))
            bad(r.where + ".owner_id", "is not the id of a seeded user");
        g.features = r.texts("features");
        // null counts: Discord's spec allows them, and with_counts answers them as null.
        g.counts_unknown = r.has("approximate_member_count") && r.is_null("approximate_member_count");
        if (r.has("approximate_member_count") && !g.counts_unknown)
            g.approximate_member_count = r.integer("approximate_member_count", 0);
        if (!(r.has("approximate_presence_count") && r.is_null("approximate_presence_count")))
            g.approximate_presence_count = r.integer("approximate_presence_count", 0);
        std::size_t k = 0;
        for (auto m : r.array("members")) {
            reader mr{m, fmt::format("{}.members[{}]", r.where, k++)};
            auto uid = mr.id("user_id");
            if (!user_ids.contains(uid))
                bad(mr.where + ".user_id", "is not the id of a seeded user");
            member mem;
            mem.permissions = mr.text_or("permissions", mem.permissions);
            mem.nick = mr.nullable_text("nick");
            for (const auto& role : mr.texts("roles")) {
                auto rid = parse_snowflake(role);
                if (!rid)
                    bad(mr.where + ".roles", "must hold snowflakes as strings");
                mem.roles.push_back(*rid);
            }
            mem.joined_at = mr.text_or("joined_at", "2020-01-01T00:00:00.000000+00:00");
            mem.deaf = mr.flag("deaf", false);
            mem.mute = mr.flag("mute", false);
            mem.flags = mr.integer("flags", 0);
            mem.pending = mr.flag("pending", false);
            g.members[uid] = std::move(mem);
        }
        s.guilds.push_back(std::move(g));
    }

    i = 0;
    for (auto e : top.array("applications")) {
        reader r{e, fmt::format("applications[{}]", i++)};
        application a;
        a.id = r.id("id");
        a.name = r.text("name");
        a.icon = r.nullable_text("icon");
        a.description = r.text_or("description", "");
        a.public_client = r.flag("public_client", false);
        a.client_secret = r.text_or("client_secret", "");
        if (a.public_client != a.client_secret.empty())
            bad(r.where + ".client_secret", "must be set for a confidential client and absent for a public one");
        a.redirect_uris = r.texts("redirect_uris");
        if (a.redirect_uris.empty())
            bad(r.where + ".redirect_uris", "must list at least one redirect URI");
        a.bot_token = r.text_or("bot_token", "");
        if (r.has("bot_user_id")) {
            a.bot_user_id = r.id("bot_user_id");
            if (!user_ids.contains(a.bot_user_id))
                bad(r.where + ".bot_user_id", "is not the id of a seeded user");
        }
        a.owner_id = r.has("owner_id") ? r.id("owner_id") : s.users.front().id;
        if (!user_ids.contains(a.owner_id))
            bad(r.where + ".owner_id", "is not the id of a seeded user");
        a.hook = r.flag("hook", true);
        a.bot_public = r.flag("bot_public", true);
        a.bot_require_code_grant = r.flag("bot_require_code_grant", false);
        if (r.has("verify_key"))
            bad(r.where + ".verify_key", "comes from signing_key (the private key, 64 hexadecimal digits); "
                                         "leave both out for a new key pair");
        if (r.has("signing_key")) {
            try {
                a.signing_key = std::make_shared<const ed25519::signing_key>(
                    ed25519::signing_key::from_seed_hex(r.text("signing_key")));
            } catch (const error&) {
                bad(r.where + ".signing_key", "must be 64 hexadecimal digits (an Ed25519 private key)");
            }
        }
        std::size_t c = 0;
        for (auto ce : r.array("commands")) {
            reader cr{ce, fmt::format("{}.commands[{}]", r.where, c++)};
            application_command command;
            command.id = cr.id("id");
            command.name = cr.text("name");
            if (cr.has("guild_id") && !cr.is_null("guild_id")) {
                command.guild_id = cr.id("guild_id");
                if (std::none_of(s.guilds.begin(), s.guilds.end(), [&](const guild& g) { return g.id == *command.guild_id; }))
                    bad(cr.where + ".guild_id", "is not the id of a seeded guild");
            }
            a.commands.push_back(std::move(command));
        }
        s.applications.push_back(std::move(a));
    }
    if (s.applications.empty())
        bad("applications", "must name at least one application");
    return s;
}

seed load_seed(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error(errc::invalid_argument, fmt::format("seed: cannot read '{}'", path));
    std::stringstream text;
    text << in.rdbuf();
    return parse_seed(text.str());
}

} // namespace discord::oauth2::emulator
