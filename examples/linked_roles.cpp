// Linked roles: the bot Discord sends people to from a server's linked roles. At start it
// registers the application's role connection metadata records (what a linked role can require)
// and its linked roles verification URL; the web server serves that URL, where whoever comes
// authorizes `role_connections.write identify`, and the hook below says what the bot's platform
// knows about them, which the library pushes to Discord as their role connection
// (https://discord.com/developers/docs/tutorials/configuring-app-metadata-for-linked-roles).
//
//   linked_roles [--once]      (needs DISCORD_BOT_TOKEN besides example_config.hpp's variables)
#include "example_config.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <iostream>
#include <map>

namespace oauth2 = discord::oauth2;
using oauth2::role_metadata_type;

namespace {

// The bot's platform: a chess club's players by Discord account.
struct player {
    std::string name;
    int rating;
    bool verified;
    std::string member_since; // ISO 8601
};
const std::map<std::uint64_t, player> players{
    {80351110224678912ULL, {"nelly_plays", 1850, true, "2021-01-23T02:33:17Z"}},
    {613425648685547541ULL, {"zoe_gambit", 1320, false, "2024-06-01T12:00:00Z"}},
};

std::vector<oauth2::role_connection_metadata> metadata_records()
{
    std::vector<oauth2::role_connection_metadata> records(3);
    records[0] = {role_metadata_type::integer_greater_than_or_equal, "rating", "Rating", "Club rating at least", {{"fr", "Classement"}}, {}};
    records[1] = {role_metadata_type::boolean_equal, "verified", "Verified", "Verified club member", {}, {}};
    records[2] = {role_metadata_type::datetime_less_than_or_equal, "member_since", "Member for", "Days since joining the club", {}, {}};
    return records;
}

// What the platform knows about `who`: the role connection Discord will compare with the
// records. Nothing is pushed for people the club does not know.
asio::awaitable<std::optional<oauth2::role_connection>> standing_of(const oauth2::user& who, const oauth2::access_token&)
{
    auto found = players.find(who.id.value());
    if (found == players.end())
        co_return std::nullopt;
    oauth2::role_connection rc;
    rc.platform_name = "Chess Club";
    rc.platform_username = found->second.name;
    rc.metadata["rating"] = std::to_string(found->second.rating);
    rc.metadata["verified"] = found->second.verified ? "1" : "0";
    rc.metadata["member_since"] = found->second.member_since;
    co_return rc;
}

asio::awaitable<void> run(oauth2::client& discord, oauth2::web_server& web, bool once)
{
    auto stored = co_await discord.update_role_connection_metadata(metadata_records());
    std::cout << "registered " << stored.size() << " metadata records" << std::endl;

    // The verification URL: where the redirect URI's server answers linked_roles_path.
    const auto& redirect = discord.config().redirect_uri;
    auto origin = redirect.substr(0, redirect.find('/', redirect.find("//") + 2));
    oauth2::application_changes changes;
    changes.role_connections_verification_url = origin + "/linked-role";
    auto app = co_await discord.edit_current_application(changes);
    std::cout << "verification URL " << app.role_connections_verification_url.value_or("?") << std::endl;

    auto linked = web.events(oauth2::event_filter{oauth2::event_kind::role_connection_updated, std::nullopt});
    while (auto e = co_await linked.next()) {
        auto token = co_await web.access_token_for(e->user_id);
        if (!token)
            continue;
        auto held = co_await discord.get_role_connection(*token);
        std::cout << "linked " << e->user_id << " as " << held.platform_username.value_or("?") << " on "
                  << held.platform_name.value_or("?") << ", rating " << held.metadata["rating"] << std::endl;
        if (once)
            break;
    }
    co_await web.stop();
}

} // namespace

int main(int argc, char** argv)
{
    try {
        bool once = argc == 2 && std::string_view(argv[1]) == "--once";
        if (argc > 2 || (argc == 2 && !once))
            throw std::runtime_error("usage: linked_roles [--once]");
        asio::io_context io;
        auto config = example::config_from_environment();
        if (!config.bot_token)
            throw std::runtime_error("DISCORD_BOT_TOKEN is not set: registering metadata needs the bot token");
        oauth2::client discord(io.get_executor(), config);
        oauth2::web_server_config web_config;
        web_config.linked_roles_path = "/linked-role";
        web_config.linked_roles_hook = standing_of;
        oauth2::web_server web(io.get_executor(), discord, web_config);
        web.start();
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](std::error_code ec, int) {
            if (!ec)
                asio::co_spawn(io, web.stop(), asio::detached);
        });
        asio::co_spawn(io, run(discord, web, once), [&](std::exception_ptr e) {
            signals.cancel();
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
