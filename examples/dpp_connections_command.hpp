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
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace example {

/// Sends `text` to the user who ran the command, visible only to them.
using reply_function = std::function<dpp::task<void>(std::string text)>;

/// The /connections command for `user`, on D++'s thread pool; the library's operations run on
/// `on_io`'s io thread. A failure is answered the D++ way, with a reply saying what failed
/// (`on_io.result` gives the value or the error: a dpp::task cannot co_await inside a catch).
inline dpp::task<void> connections_command(discord::oauth2::dpp_bridge& on_io, discord::oauth2::web_server& web,
                                           discord::oauth2::client& discord, discord::oauth2::snowflake user,
                                           reply_function reply)
{
    namespace oauth2 = discord::oauth2;
    using namespace std::chrono_literals;

    auto url = web.authorization_url(user, {oauth2::scope::identify, oauth2::scope::connections});
    std::string link_message = "Please authorize within a minute: " + url;
    co_await reply(link_message);

    auto waited = co_await on_io.result(web.wait_for_access_token(user, url, 1min));
    if (!waited) {
        std::string failed = std::string("Something went wrong: ") + waited.error().what();
        co_await reply(failed);
        co_return;
    }
    auto& result = *waited;
    if (!result) {
        std::string failed = result.outcome == oauth2::authorization_outcome::timed_out
                                 ? "Timed out :("
                                 : "Not authorized: " + result.description;
        co_await reply(failed);
        co_return;
    }
    auto connections = co_await on_io.result(discord.get_connections(result->token));
    std::string answer;
    if (!connections)
        answer = std::string("Could not read your connections: ") + connections.error().what();
    else if (connections->empty())
        answer = "0 total connections.";
    else
        answer = std::to_string(connections->size()) + " total connections. First connection username: " +
                 connections->front().name.value_or("(no name)");
    co_await reply(answer);
    // The grant is not kept either way; a failure to revoke is the bot's log's, not the user's.
    auto revoked = co_await on_io.result(web.revoke_access_token(result->user_id));
    if (!revoked)
        std::fprintf(stderr, "revoking %s's grant failed: %s\n", result->user_id.to_string().c_str(),
                     revoked.error().what());
}

} // namespace example
