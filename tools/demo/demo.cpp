// The seed document's scenario, end to end: a bot gets a slash command, sends the user an
// authorization link, awaits the token, reads the user's connections, answers, and revokes.
//
// With no set-up it plays on the emulator: a simulated user opens the link, sees the consent
// page and clicks Authorize. With DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET (and optionally
// DISCORD_REDIRECT_URI, default http://127.0.0.1:53134/callback, which must be registered for
// the application) it runs against Discord and prints the link for a person to open.
#include "server/free_port.hpp"
#include "emulator.hpp"
#include "http/client.hpp"

#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"

#include <discord/oauth2.hpp>
#include <discord/oauth2/fmt.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <optional>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
using namespace std::chrono_literals;

namespace {

std::optional<std::string> env(const char* name)
{
    const char* v = std::getenv(name);
    return v && *v ? std::optional<std::string>(v) : std::nullopt;
}

using discord::oauth2::server::free_port;

// The person: opens the link, reads the consent page, clicks Authorize, lands on our page.
asio::awaitable<void> simulated_user(http::client& browser, std::string link, oauth2::snowflake who)
{
    http::request open;
    open.url = link + "&emulator_user=" + who.to_string();
    auto consent = co_await browser.send(std::move(open));
    auto page = consent.body.view();
    auto heading = page.substr(page.find("<h1>") + 4);
    fmt::print("  [user]  sees the consent page: \"{}\"\n", heading.substr(0, heading.find("</h1>")));

    http::request click; // the Authorize button posts the authorization's parameters back
    click.method = "POST";
    click.url = link.substr(0, link.find('?'));
    click.fields.add("Content-Type", "application/x-www-form-urlencoded");
    click.fields.add("Cookie", "emulator_user=" + who.to_string());
    click.body = url::split(link)->query + "&decision=approve";
    auto redirect = co_await browser.send(std::move(click));
    auto location = std::string(redirect.fields.find("location").value_or(""));
    fmt::print("  [user]  clicks Authorize; Discord redirects the browser to the bot's callback\n");

    http::request back;
    back.url = location;
    auto landed = co_await browser.send(std::move(back));
    auto body = landed.body.view();
    auto title = body.substr(body.find("<h1>") + 4);
    fmt::print("  [user]  sees the bot's page: {} \"{}\"\n", landed.status, title.substr(0, title.find("</h1>")));
}

// The bot's slash command, as the seed writes it.
asio::awaitable<bool> connections_command(oauth2::web_server& web, oauth2::client& discord, oauth2::snowflake user,
                                          std::function<void(const std::string&)> deliver)
{
    fmt::print("  [bot]   /connections from user {}: \"Please wait..\"\n", user);
    const std::vector<std::string_view> scopes{oauth2::scope::identify, oauth2::scope::connections};
    auto link = web.authorization_url(user, scopes);
    fmt::print("  [bot]   replies with the authorization link ({} characters, state sealed, PKCE)\n", link.size());
    deliver(link);
    auto result = co_await web.wait_for_access_token(user, link, 1min);
    if (!result) {
        fmt::print("  [bot]   {}\n", result.outcome == oauth2::authorization_outcome::timed_out ? "Timed out :(" : result.description);
        co_return false;
    }
    auto connections = co_await discord.get_connections(result->token);
    if (connections.empty())
        fmt::print("  [bot]   0 total connections.\n");
    else
        fmt::print("  [bot]   {} total connections. First connection username: {}\n", connections.size(),
                   connections.front().name.value_or("(no name)"));
    auto authorized = result->user_id; // who authorized (the URL may have been for anyone)
    co_await web.revoke_access_token(authorized);
    auto left = co_await web.access_token_for(authorized);
    fmt::print("  [bot]   revoked the grant; {} grant(s) left in the store\n", left ? 1 : 0);
    co_return true;
}

} // namespace

int main()
{
    asio::io_context io(1);
    auto id = env("DISCORD_CLIENT_ID");
    auto secret = env("DISCORD_CLIENT_SECRET");
    bool real = id && secret;

    oauth2::client_config config;
    std::optional<em::emulator> emulator;
    std::optional<http::client> browser;
    const oauth2::snowflake nelly(80351110224678912ULL);
    oauth2::snowflake user = nelly;
    try {
        if (real) {
            config.client_id = oauth2::snowflake(std::stoull(*id));
            config.client_secret = oauth2::secret(*secret);
            config.redirect_uri = env("DISCORD_REDIRECT_URI").value_or("http://127.0.0.1:53134/callback");
            user = oauth2::snowflake{};
            fmt::print("Against Discord as application {}.\n", config.client_id);
        } else {
            em::options o;
            config.redirect_uri = "http://127.0.0.1:" + std::to_string(free_port()) + "/callback";
            for (auto& app : o.world.applications)
                app.redirect_uris.push_back(config.redirect_uri);
            emulator.emplace(io.get_executor(), o);
            emulator->start();
            browser.emplace(io.get_executor());
            config.client_id = oauth2::snowflake(159799960412356608ULL);
            config.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
            config.endpoints = oauth2::endpoints::under(emulator->url());
            fmt::print("On the local Discord emulator at {} (set DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET for "
                       "Discord).\n", emulator->url());
        }
        oauth2::client discord(io.get_executor(), config);
        oauth2::web_server web(io.get_executor(), discord);
        web.start();
        fmt::print("Callback server on port {}, path {}.\n\n", web.port(), web.callback_path());

        bool ok = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            auto deliver = [&](const std::string& link) {
                if (real)
                    fmt::print("\nOpen this link in a browser within a minute:\n{}\n\n", link);
                else
                    asio::co_spawn(io, simulated_user(*browser, link, nelly), asio::detached);
            };
            ok = co_await connections_command(web, discord, user, deliver);
            co_await web.stop();
            if (emulator)
                emulator->stop();
        }, [&](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    fmt::print(stderr, "demo: {}\n", x.what());
                }
            }
            io.stop();
        });
        io.run();
        fmt::print("\n{}\n", ok ? "Demo complete." : "Demo did not complete.");
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "demo: {}\n", e.what());
        return 1;
    }
}
