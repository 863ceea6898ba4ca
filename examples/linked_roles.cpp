// Linked roles: the user authorizes role_connections.write, and the bot publishes the user's
// standing on its platform as role connection metadata, which Discord compares with the
// application's metadata records to grant linked roles
// (https://discord.com/developers/docs/resources/application-role-connection-metadata).
//
//   linked_roles USER_ID
#include "example_config.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <iostream>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

asio::awaitable<void> link_account(oauth2::web_server& web, oauth2::client& discord, oauth2::snowflake user)
{
    // role_connections.write cannot be combined with PKCE at Discord: the library leaves it out.
    const std::vector<std::string_view> scopes{oauth2::scope::identify, oauth2::scope::role_connections_write};
    auto url = web.authorization_url(user, scopes);
    std::cout << "open " << user << " " << url << std::endl;
    auto result = co_await web.wait_for_access_token(user, url, 2min);
    if (!result) {
        std::cout << "not linked: " << result.description << std::endl;
        co_return;
    }

    // What the platform knows about this player; keys match the application's metadata records.
    oauth2::role_connection standing;
    standing.platform_name = "Chess Club";
    standing.platform_username = "nelly_plays";
    standing.metadata["rating"] = "1850";      // integer_greater_than_or_equal
    standing.metadata["verified"] = "1";       // boolean_equal
    standing.metadata["member_since"] = "2021-01-23T02:33:17Z"; // datetime_less_than_or_equal
    auto stored = co_await discord.update_role_connection(result->token, standing);
    std::cout << "linked " << result->user_id << " as " << stored.platform_username.value_or("?") << " on "
              << stored.platform_name.value_or("?") << " with " << stored.metadata.size() << " metadata values"
              << std::endl;

    auto read_back = co_await discord.get_role_connection(result->token);
    std::cout << "Discord holds rating " << read_back.metadata["rating"] << std::endl;
}

int main(int argc, char** argv)
{
    try {
        if (argc != 2)
            throw std::runtime_error("usage: linked_roles USER_ID");
        asio::io_context io;
        oauth2::client discord(io.get_executor(), example::config_from_environment());
        oauth2::web_server web(io.get_executor(), discord);
        web.start();
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            co_await link_account(web, discord, oauth2::snowflake(std::stoull(argv[1])));
            co_await web.stop();
        }, [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "linked_roles: " << e.what() << "\n";
        return 1;
    }
}
