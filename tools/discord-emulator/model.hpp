// The emulator's world: users, their connections, guilds, applications, and the grants and
// codes that OAuth2 creates. Plain data; the emulator keeps it on its server's executor.
#pragma once

#include "core/ed25519.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace discord::oauth2::emulator {

using snowflake = std::uint64_t;
using clock = std::chrono::system_clock;

struct user {
    snowflake id = 0;
    std::string username;
    std::optional<std::string> global_name;
    std::string discriminator = "0";
    std::optional<std::string> avatar;
    std::optional<std::string> banner;
    std::optional<int> accent_color;
    std::string email;
    bool verified = true;
    bool mfa_enabled = false;
    std::string locale = "en-US";
    int flags = 0;
    std::optional<int> premium_type = 0; // absent when unset: Discord leaves it out for bots
    int public_flags = 0;
    bool bot = false;
    // Sent as null when unset, as Discord does for users without them.
    std::optional<std::string> decoration_asset;
    std::optional<snowflake> decoration_sku_id; // null for decorations not sold in the shop
    std::optional<snowflake> primary_guild_id;
    std::optional<std::string> primary_guild_tag;
};

struct connection {
    std::string id; // not a snowflake: the service's own account id
    std::optional<std::string> name; // null is allowed by Discord's spec
    std::string type; // "github", "steam", ...
    bool verified = true;
    bool revoked = false;
    bool friend_sync = false;
    bool show_activity = true;
    bool two_way_link = false;
    int visibility = 1;
};

struct member {
    std::string permissions = "104324673"; // the member's permissions, Discord's decimal string
    std::optional<std::string> nick;
    std::vector<snowflake> roles;
    std::string joined_at; // ISO 8601
    bool deaf = false;
    bool mute = false;
    int flags = 0;
    bool pending = false;
};

struct guild {
    snowflake id = 0;
    std::string name;
    std::optional<std::string> icon;
    std::optional<std::string> banner;
    snowflake owner_id = 0;
    std::vector<std::string> features;
    std::map<snowflake, member> members;
    std::optional<int> approximate_member_count; // members.size() when unset
    int approximate_presence_count = 0;
    bool counts_unknown = false; // with_counts answers null counts, as Discord's spec allows
};

/// One of an application's role connection metadata records (PUT by its bot).
struct role_metadata_record {
    int type = 0; // 1..8
    std::string key;
    std::string name;
    std::string description;
    std::map<std::string, std::string> name_localizations;
    std::map<std::string, std::string> description_localizations;
};

/// A slash command of an application: global (no guild) or registered in one guild.
struct application_command {
    snowflake id = 0;
    std::string name;
    std::optional<snowflake> guild_id;
};

/// One overwrite of a command's permissions in a guild (type 1 role, 2 user, 3 channel).
struct command_permission_record {
    snowflake id = 0;
    int type = 1;
    bool permission = false;
};

/// A DM (type 1) or a group DM (type 3) an application made with its bot token.
struct private_channel {
    snowflake id = 0;
    int type = 3;
    snowflake owner_id = 0;
    snowflake application_id = 0;
    std::vector<snowflake> recipients;
    std::map<snowflake, std::string> nicks;
};

struct application {
    snowflake id = 0; // the client id
    std::string name;
    std::optional<std::string> icon;
    std::string description;
    std::string client_secret; // empty for a public client
    std::vector<std::string> redirect_uris;
    std::string bot_token;
    snowflake bot_user_id = 0;
    snowflake owner_id = 0;
    bool public_client = false;
    bool hook = true;
    bool bot_public = true;
    bool bot_require_code_grant = false;
    /// Signs the webhook events sent to the application; made at start unless the seed gives
    /// its private key. verify_key is its public half.
    std::shared_ptr<const ed25519::signing_key> signing_key;
    std::string verify_key;
    // Its settings (GET and PATCH /applications/@me).
    std::optional<std::string> event_webhooks_url;
    int event_webhooks_status = 1; // 1 disabled, 2 enabled, 3 disabled by Discord
    std::vector<std::string> event_webhooks_types;
    std::optional<std::string> role_connections_verification_url;
    std::vector<role_metadata_record> role_metadata; // at most 5
    std::vector<application_command> commands; // for the command permission routes
};

struct role_connection {
    std::optional<std::string> platform_name;
    std::optional<std::string> platform_username;
    std::map<std::string, std::string> metadata;
};

struct seed {
    std::vector<user> users;
    std::map<snowflake, std::vector<connection>> connections; // by user
    std::vector<guild> guilds;
    std::vector<application> applications;
};

/// A few users with Unicode names, guilds, connections of several services, one confidential and
/// one public application. The first user and guild reproduce the documentation's examples.
seed default_seed();

} // namespace discord::oauth2::emulator
