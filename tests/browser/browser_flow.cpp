// The C++ side of the real-browser test: the emulator (with its consent page), a client and a
// web server with a linked roles path. It prints one JSON line with two authorization URLs made
// for the emulator's first user, one to approve and one to cancel, and the linked roles URL;
// waits for both with wait_for_access_token and for the linked roles push; and prints one JSON
// line with what each wait returned and the role connection the emulator then holds.
// tests/browser/consent_flow.mjs drives Chromium.
#include "server/free_port.hpp"
#include "emulator.hpp"
#include "json/writer.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

namespace {

using discord::oauth2::server::free_port;

void write_result(oauth2::json::writer& w, const oauth2::authorization_result& r)
{
    w.begin_object().field("outcome", oauth2::to_string(r.outcome));
    if (r.grant)
        w.field("user_id", r.grant->user_id.to_string()).field("scope_count", static_cast<int>(r.grant->token.scopes.size()));
    if (r.code)
        w.field("code", r.code.message());
    w.end_object();
}

} // namespace

int main()
{
    asio::io_context io(1);
    const auto redirect = "http://127.0.0.1:" + std::to_string(free_port()) + "/callback";
    em::options o;
    for (auto& app : o.world.applications)
        app.redirect_uris.push_back(redirect);
    em::emulator discord(io.get_executor(), o);
    discord.start();
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = redirect;
    c.endpoints = oauth2::endpoints::under(discord.url());
    oauth2::client client(io.get_executor(), c);
    oauth2::web_server_config config;
    config.linked_roles_path = "/linked-role";
    config.linked_roles_hook = [](const oauth2::user& who, const oauth2::access_token&)
        -> asio::awaitable<std::optional<oauth2::role_connection>> {
        oauth2::role_connection rc;
        rc.platform_name = "Chess Club";
        rc.platform_username = who.username;
        rc.metadata["rating"] = "1850";
        co_return rc;
    };
    oauth2::web_server web(io.get_executor(), client, config);
    web.start();
    auto linked = web.events(oauth2::event_filter{oauth2::event_kind::role_connection_updated, std::nullopt});

    const oauth2::snowflake nelly(80351110224678912ULL);
    const std::vector<std::string_view> scopes{oauth2::scope::identify, oauth2::scope::connections};
    auto approve = web.authorization_url(nelly, scopes);
    auto cancel = web.authorization_url(nelly, scopes);
    oauth2::json::writer ready;
    ready.begin_object()
        .field("approve", approve)
        .field("cancel", cancel)
        .field("linked_roles", redirect.substr(0, redirect.rfind('/')) + "/linked-role")
        .end_object();
    fmt::print("{}\n", ready.take());
    std::fflush(stdout);

    int status = 1;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto approved = co_await web.wait_for_access_token(nelly, approve, 90s);
        auto cancelled = co_await web.wait_for_access_token(nelly, cancel, 90s);
        auto pushed = co_await linked.next_for(90s);
        oauth2::json::writer w;
        w.begin_object().key("approve");
        write_result(w, approved);
        w.key("cancel");
        write_result(w, cancelled);
        w.key("linked").begin_object();
        if (pushed) {
            // What the emulator now holds for that user, read with the grant the path stored.
            auto token = co_await web.access_token_for(pushed->user_id);
            auto held = co_await client.get_role_connection(*token);
            w.field("user_id", pushed->user_id.to_string())
                .field("platform_name", held.platform_name.value_or(""))
                .field("rating", held.metadata["rating"]);
        }
        w.end_object().end_object();
        fmt::print("{}\n", w.take());
        std::fflush(stdout);
        co_await web.stop(1s);
        discord.stop();
        status = 0;
    }, [&](std::exception_ptr e) {
        if (e)
            fmt::print(stderr, "browser_flow: the waits failed\n");
        io.stop();
    });
    io.run();
    return status;
}
