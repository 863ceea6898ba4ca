// The seed document's scenario as a D++ bot: a /connections slash command that replies (only to
// the user) with the authorization link, waits a minute for the token, answers with the count
// and the first connection, then revokes. The command itself is examples/dpp_connections_command.hpp.
//
//   DISCORD_BOT_TOKEN=... DISCORD_CLIENT_ID=... DISCORD_CLIENT_SECRET=... dpp_bot
//
// The redirect URI (DISCORD_REDIRECT_URI, default http://127.0.0.1:53134/callback) must be
// registered for the application, and reach this program: the library's own listener, or, with
// DISCORD_HTTP_PORT set, D++'s HTTP server on that port (examples/dpp_http_callback.hpp).
#include "dpp_connections_command.hpp"
#include "dpp_http_callback.hpp"
#include "example_config.hpp"

#include <discord/oauth2/dpp.hpp>

#include <dpp/dpp.h>

#include <asio/use_future.hpp>

#include <iostream>
#include <optional>

namespace oauth2 = discord::oauth2;

int main()
{
    try {
        dpp::cluster bot(example::env("DISCORD_BOT_TOKEN"));
        // After the cluster, before what runs on it: destroyed in the opposite order.
        oauth2::dpp_bridge on_io(bot);
        oauth2::client discord(on_io.get_executor(), example::config_from_environment());
        auto http_port = example::env("DISCORD_HTTP_PORT", "");
        oauth2::web_server_config config;
        config.listen = http_port.empty(); // else D++'s server takes the callback
        oauth2::web_server web(on_io.get_executor(), discord, config);
        web.start();
        std::optional<dpp::http_server> callbacks;
        if (!http_port.empty())
            callbacks.emplace(&bot, "0.0.0.0", static_cast<uint16_t>(std::stoi(http_port)),
                              [&web](dpp::http_server_request* req) { example::serve_with_library(web, req); });

        bot.on_log(dpp::utility::cout_logger());
        bot.on_ready([&bot](const dpp::ready_t&) {
            if (dpp::run_once<struct register_commands>())
                bot.global_command_create(dpp::slashcommand("connections", "Show your linked accounts", bot.me.id));
        });
        bot.on_slashcommand([&](const dpp::slashcommand_t& event) -> dpp::task<void> {
            if (event.command.get_command_name() != "connections")
                co_return;
            // The first message answers the interaction; later ones replace it.
            auto answered = std::make_shared<bool>(false);
            example::reply_function reply = [&event, answered](std::string text) -> dpp::task<void> {
                dpp::message m(std::move(text));
                m.set_flags(dpp::m_ephemeral);
                if (!std::exchange(*answered, true))
                    co_await event.co_reply(m);
                else
                    co_await event.co_edit_response(m);
            };
            const oauth2::snowflake user(static_cast<std::uint64_t>(event.command.usr.id));
            co_await example::connections_command(on_io, web, discord, user, reply);
        });
        bot.start(dpp::st_wait);
        web.async_stop(std::chrono::seconds(10), asio::use_future).get();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "dpp_bot: " << e.what() << "\n";
        return 1;
    }
}
