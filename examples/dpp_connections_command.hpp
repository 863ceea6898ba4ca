// The seed document's /connections command for a D++ bot (examples/dpp_bot.cpp): reply with the
// link, wait up to a minute for the user to authorize, answer with their connections, revoke.
//
// Sending a message to Discord is the one thing this file leaves to its caller (`reply`): the
// bot answers the interaction, and tests/dpp_bot_test.cpp drives the same command without a
// gateway, collecting the replies.
#pragma once

#include <discord/oauth2.hpp>
#include <discord/oauth2/dpp.hpp>

#include <dpp/coro.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace example {

/// Sends `text` to the user who ran the command, visible only to them.
using reply_function = std::function<dpp::task<void>(std::string text)>;

/// The /connections command for `user`, on D++'s thread pool; the library's operations run on
/// `on_io`'s io thread. Throws what the library throws (oauth2::error) when Discord fails.
inline dpp::task<void> connections_command(discord::oauth2::dpp_bridge& on_io, discord::oauth2::web_server& web,
                                           discord::oauth2::client& discord, discord::oauth2::snowflake user,
                                           reply_function reply)
{
    namespace oauth2 = discord::oauth2;
    using namespace std::chrono_literals;

    const std::vector<std::string_view> scopes{oauth2::scope::identify, oauth2::scope::connections};
    auto url = web.authorization_url(user, scopes);
    std::string link_message = "Please authorize within a minute: " + url;
    co_await reply(link_message);

    auto result = co_await on_io(web.wait_for_access_token(user, url, 1min));
    if (!result) {
        std::string failed = result.outcome == oauth2::authorization_outcome::timed_out
                                 ? "Timed out :("
                                 : "Not authorized: " + result.description;
        co_await reply(failed);
        co_return;
    }
    auto connections = co_await on_io(discord.get_connections(result->token));
    std::string answer = connections.empty()
                             ? "0 total connections."
                             : std::to_string(connections.size()) + " total connections. First connection username: " +
                                   connections.front().name.value_or("(no name)");
    co_await reply(answer);
    co_await on_io(web.revoke_access_token(result->user_id));
}

} // namespace example
