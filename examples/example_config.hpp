// Shared by the examples: who the application is and where Discord is, from the environment.
//
//   DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET   the application (required)
//   DISCORD_REDIRECT_URI                       registered for it (default http://127.0.0.1:53134/callback)
//   DISCORD_API_BASE                           another Discord, e.g. the emulator's URL
//   DISCORD_CA_FILE                            trusted CAs for it (the emulator's, with --tls)
//   DISCORD_BOT_TOKEN                          the bot's token, for operations that need it
#pragma once

#include <discord/oauth2.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace example {

inline std::string env(const char* name, const char* fallback = nullptr)
{
    const char* v = std::getenv(name);
    if (v && *v)
        return v;
    if (fallback)
        return fallback;
    throw std::runtime_error(std::string(name) + " is not set");
}

inline discord::oauth2::client_config config_from_environment()
{
    discord::oauth2::client_config c;
    c.client_id = discord::oauth2::snowflake(std::stoull(env("DISCORD_CLIENT_ID")));
    c.client_secret = discord::oauth2::secret(env("DISCORD_CLIENT_SECRET"));
    c.redirect_uri = env("DISCORD_REDIRECT_URI", "http://127.0.0.1:53134/callback");
    if (auto base = env("DISCORD_API_BASE", ""); !base.empty())
        c.endpoints = discord::oauth2::endpoints::under(base);
    c.ca_file = env("DISCORD_CA_FILE", "");
    if (auto bot = env("DISCORD_BOT_TOKEN", ""); !bot.empty())
        c.bot_token = discord::oauth2::secret(bot);
    return c;
}

} // namespace example
