// A test of operations that need users' tokens and the application's bot token: the emulator
// (auto-approving as the user each link names, no rate limits), a client of its first
// application with the bot token, and a browser; token() runs the code flow as a given user.
#pragma once

#include "emulator.hpp"
#include "http/client.hpp"
#include "support/token_for.hpp"

#include <discord/oauth2/client.hpp>

#include <asio/io_context.hpp>

#include <string>
#include <vector>

namespace test {

struct bot_flow {
    asio::io_context io;
    discord::oauth2::emulator::emulator discord;
    discord::oauth2::client client;
    discord::oauth2::http::client browser;

    bot_flow() : discord(io.get_executor(), options()), client(io.get_executor(), (discord.start(), config())), browser(io.get_executor()) {}

    static discord::oauth2::emulator::options options()
    {
        discord::oauth2::emulator::options o;
        o.rate_limits.enabled = false;
        o.auto_approve = true; // emulator_user= picks who approves
        return o;
    }

    discord::oauth2::client_config config() const
    {
        discord::oauth2::client_config c;
        c.client_id = discord::oauth2::snowflake(159799960412356608ULL);
        c.client_secret = discord::oauth2::secret("emulator-airhorn-client-secret-0123456789");
        c.bot_token = discord::oauth2::secret("emulator-airhorn-bot-token.0123456789");
        c.redirect_uri = "http://127.0.0.1:53134/callback";
        c.endpoints = discord::oauth2::endpoints::under(discord.url());
        return c;
    }

    /// `user`'s token for `scopes`, through the whole code flow.
    asio::awaitable<discord::oauth2::access_token> token(std::vector<std::string> scopes, std::string user)
    {
        discord::oauth2::authorization_request r;
        r.scopes = std::move(scopes);
        co_return co_await token_for(client, browser, r, user);
    }
};

} // namespace test
