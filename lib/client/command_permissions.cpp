// Slash command permissions in a guild, with a guild administrator's Bearer token
// (applications.commands.permissions.update): Discord refuses the bot token for changing them.
#include "client/client_impl.hpp"
#include "json/decode.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

namespace discord::oauth2 {
namespace {

constexpr std::string_view permissions_scope = "applications.commands.permissions.update";

void check_permissions(const std::vector<command_permission>& permissions)
{
    if (permissions.size() > max_command_permissions)
        throw error(errc::invalid_argument, fmt::format("edit_command_permissions: {} overwrites, and Discord takes "
                                                        "at most {} per command and guild",
                                                        permissions.size(), max_command_permissions));
    for (std::size_t i = 0; i < permissions.size(); ++i) {
        auto type = static_cast<int>(permissions[i].type);
        if (type < 1 || type > 3)
            throw error(errc::invalid_argument,
                        fmt::format("edit_command_permissions: permissions[{}].type is {}; it must be role (1), "
                                    "user (2) or channel (3)", i, type));
        if (permissions[i].id == snowflake{})
            throw error(errc::invalid_argument, fmt::format("edit_command_permissions: permissions[{}].id is not set", i));
    }
}

} // namespace

std::string client::impl::commands_path(snowflake guild_id) const
{
    return "/applications/" + config.client_id.to_string() + "/guilds/" + guild_id.to_string() + "/commands";
}

asio::awaitable<std::vector<guild_command_permissions>>
client::get_guild_command_permissions(const access_token& token, snowflake guild_id)
{
    return impl_->bearer_get(token, permissions_scope, "get_guild_command_permissions",
                             impl_->commands_path(guild_id) + "/permissions", {},
                             "GET /applications/{application}/guilds/{guild}/commands/permissions",
                             &json::decode_guild_command_permissions_list);
}

asio::awaitable<guild_command_permissions>
client::get_command_permissions(const access_token& token, snowflake guild_id, snowflake command_id)
{
    return impl_->bearer_get(token, permissions_scope, "get_command_permissions",
                             impl_->commands_path(guild_id) + "/" + command_id.to_string() + "/permissions", {},
                             "GET /applications/{application}/guilds/{guild}/commands/{command}/permissions",
                             &json::decode_guild_command_permissions);
}

asio::awaitable<guild_command_permissions>
client::edit_command_permissions(const access_token& token, snowflake guild_id, snowflake command_id,
                                 std::vector<command_permission> permissions)
{
    impl_->require_scope(token, permissions_scope, "edit_command_permissions");
    check_permissions(permissions);
    json::writer body;
    body.begin_object().key("permissions").begin_array();
    for (const auto& p : permissions)
        body.begin_object()
            .field("id", p.id.to_string())
            .field("type", static_cast<int>(p.type))
            .field("permission", p.permission)
            .end_object();
    body.end_array().end_object();
    auto request = impl_->api_get(impl_->commands_path(guild_id) + "/" + command_id.to_string() + "/permissions", token);
    request.method = "PUT";
    request.fields.add("Content-Type", "application/json");
    request.body = body.take();
    static constexpr std::string_view route = "PUT /applications/{application}/guilds/{guild}/commands/{command}/permissions";
    // The whole set replaces the whole set: the same PUT twice leaves the same overwrites.
    auto response = co_await impl_->send(std::move(request), route, impl::repeat::safe);
    rest::throw_unless_success(response, route);
    co_return json::decode_guild_command_permissions(response.body);
}

} // namespace discord::oauth2
