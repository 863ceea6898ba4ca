// Discord's permission flags by name: the bits Discord documents, combined for a bot's invite
// link, and read back from partial_guild::permissions.
#include <discord/oauth2/client.hpp>
#include <discord/oauth2/permissions.hpp>
#include <discord/oauth2/scope.hpp>

#include <asio/io_context.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace permission = discord::oauth2::permission;

// A few of Discord's documented values, as decimal, where a typo in a shift would show.
static_assert(permission::administrator == 8);
static_assert(permission::send_messages == 2048);
static_assert(permission::manage_roles == 268435456);
static_assert(permission::use_application_commands == 2147483648ULL);
static_assert(permission::moderate_members == 1099511627776ULL);
static_assert(permission::send_polls == 562949953421312ULL);

TEST_CASE("flags combine into the invite link's permissions, and a guild's permissions are read back")
{
    asio::io_context io;
    oauth2::client_config config;
    config.client_id = oauth2::snowflake(159799960412356608ULL);
    config.client_secret = oauth2::secret("secret");
    config.redirect_uri = "http://127.0.0.1:53134/callback";
    oauth2::client client(io.get_executor(), config);
    oauth2::authorization_request invite{.scopes = {oauth2::scope::bot, oauth2::scope::applications_commands}};
    invite.permissions = permission::view_channel | permission::send_messages | permission::embed_links;
    auto link = client.authorization_url(invite);
    CHECK(link.url.find("permissions=19456") != std::string::npos); // 1024 + 2048 + 16384

    std::uint64_t granted = permission::view_channel | permission::send_messages;
    CHECK(permission::has(granted, permission::send_messages));
    CHECK(permission::has(granted, permission::view_channel | permission::send_messages));
    CHECK_FALSE(permission::has(granted, permission::send_messages | permission::embed_links));
    CHECK(permission::has(permission::administrator, permission::ban_members | permission::manage_guild));
    CHECK(permission::has(granted, 0));
}
