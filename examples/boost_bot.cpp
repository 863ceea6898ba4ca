// The seed document's /connections command in a Boost.Asio application: the command is a
// boost::asio::awaitable on the application's io_context; the library runs on the bridge's own
// thread, and each co_await comes back to the application's thread.
//
// A real bot calls on_connections_command from its gateway code; here the command "arrives" for
// the user id given on the command line.
//
//   boost_bot USER_ID
#include <discord/oauth2/boost.hpp> // first: before any other Boost.Asio header

#include "example_config.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

// What the bot would send as (ephemeral) replies; here, standard output.
void reply(const std::string& text)
{
    std::cout << text << std::endl;
}

boost::asio::awaitable<void> on_connections_command(oauth2::boost_bridge& on_io, oauth2::web_server& web,
                                                    oauth2::client& discord, oauth2::snowflake user)
{
    reply("Please wait..");
    const std::vector<std::string_view> scopes{oauth2::scope::identify, oauth2::scope::connections};
    auto url = web.authorization_url(user, scopes);
    reply("open " + user.to_string() + " " + url);

    auto result = co_await on_io(web.wait_for_access_token(user, url, 1min));
    if (!result) {
        reply(result.outcome == oauth2::authorization_outcome::timed_out ? "Timed out :(" : "Not authorized: " + result.description);
        co_return;
    }
    auto connections = co_await on_io(discord.get_connections(result->token));
    if (connections.empty())
        reply("0 total connections.");
    else
        reply(std::to_string(connections.size()) + " total connections. First connection username: " +
              connections.front().name.value_or("(no name)"));
    co_await on_io(web.revoke_access_token(result->user_id));
}

int main(int argc, char** argv)
{
    try {
        if (argc != 2)
            throw std::runtime_error("usage: boost_bot USER_ID");
        const oauth2::snowflake user(std::stoull(argv[1]));
        boost::asio::io_context app; // the application's own

        // Before what runs on it: destroyed after them.
        oauth2::boost_bridge on_io;
        oauth2::client discord(on_io.get_executor(), example::config_from_environment());
        oauth2::web_server web(on_io.get_executor(), discord);
        web.start();

        std::exception_ptr failure;
        boost::asio::co_spawn(app, on_connections_command(on_io, web, discord, user),
                              [&](std::exception_ptr e) { failure = e; });
        app.run();
        on_io(web.stop(), boost::asio::use_future).get();
        if (failure)
            std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "boost_bot: " << e.what() << "\n";
        return 1;
    }
}
