// The seed document's bot: a /connections command that asks the user to authorize, waits up to
// a minute, answers with the user's connections, and revokes the grant.
//
// A real bot calls on_connections_command from its gateway library's slash-command handler; here
// the command "arrives" for the user id given on the command line.
//
//   seed_bot USER_ID
#include "example_config.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <iostream>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

// What the bot would send as (ephemeral) replies; here, standard output.
void reply(const std::string& text)
{
    std::cout << text << std::endl;
}

asio::awaitable<void> on_connections_command(oauth2::web_server& web, oauth2::client& discord, oauth2::snowflake user)
{
    reply("Please wait..");
    const std::vector<std::string_view> scopes{oauth2::scope::identify, oauth2::scope::connections};
    auto url = web.authorization_url(user, scopes);
    reply("open " + user.to_string() + " " + url);

    auto result = co_await web.wait_for_access_token(user, url, 1min);
    if (!result) {
        reply(result.outcome == oauth2::authorization_outcome::timed_out ? "Timed out :(" : "Not authorized: " + result.description);
        co_return;
    }
    auto connections = co_await discord.get_connections(result->token);
    if (connections.empty())
        reply("0 total connections.");
    else
        reply(std::to_string(connections.size()) + " total connections. First connection username: " +
              connections.front().name.value_or("(no name)"));
    co_await web.revoke_access_token(result->user_id);
}

int main(int argc, char** argv)
{
    try {
        if (argc != 2)
            throw std::runtime_error("usage: seed_bot USER_ID");
        asio::io_context io;
        oauth2::client discord(io.get_executor(), example::config_from_environment());
        oauth2::web_server web(io.get_executor(), discord);
        web.start();

        auto events = web.events(); // the seed logs its events; so do we
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (auto e = co_await events.next())
                std::cerr << "event: " << oauth2::to_string(e->kind) << " for " << e->user_id << "\n";
        }, asio::detached);

        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            co_await on_connections_command(web, discord, oauth2::snowflake(std::stoull(argv[1])));
            co_await web.stop(); // ends the event stream too
        }, [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "seed_bot: " << e.what() << "\n";
        return 1;
    }
}
