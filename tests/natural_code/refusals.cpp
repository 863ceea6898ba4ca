// What g++ 12 would free twice, each refused at compile time by the public API (docs/compilers.md).
// tests/natural_code/refusals.py compiles this once per CASE with g++ and expects each CASE
// from 1 on to fail with the library's static assertion, and CASE 0 (the same values named
// first, moved, or made by a function) to compile with -Wall -Wextra -Werror: the designated
// lists there leave members out, as people write them, and must not warn.
//
// Not refused, because no overload can tell it from a value a function returned: a struct
// named by its type in the call (`add_member_options{.nick = n}`); docs/compilers.md says so.
#include <discord/oauth2.hpp>

#include <asio/use_awaitable.hpp>

#include <string>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

oauth2::role_connection chess_club()
{
    return {.platform_name = std::string("Chess Club"), .platform_username = {}, .metadata = {}};
}

asio::awaitable<void> bot(oauth2::client& client, oauth2::web_server& web, oauth2::event_stream& events,
                          oauth2::access_token token)
{
    std::string label = "login";
    oauth2::snowflake guild{1}, user{2};
#if CASE == 0
    auto matches = [label](const oauth2::event& e) { return e.claims && e.claims->flow == label; };
    (void)co_await events.next_matching(matches, 10s);
    oauth2::add_member_options options{.nick = label};
    (void)co_await client.add_guild_member(token, guild, user, options);
    (void)co_await client.async_add_guild_member(token, guild, user, options, asio::use_awaitable);
    oauth2::role_connection connection{.platform_name = label};
    (void)co_await client.update_role_connection(token, connection);
    (void)co_await client.async_update_role_connection(token, connection, asio::use_awaitable);
    (void)co_await client.update_role_connection(token, std::move(connection));
    (void)co_await client.update_role_connection(token, chess_club());
    oauth2::application_changes changes{.event_webhooks_url = label};
    (void)co_await client.edit_current_application(changes);
    (void)co_await client.async_edit_current_application(changes, asio::use_awaitable);
    oauth2::incoming_request request{.target = "/callback"};
    (void)co_await web.handle_request(request);
    (void)co_await web.async_handle_request(std::move(request), asio::use_awaitable);
    (void)co_await events.next_matching([&label](const oauth2::event& e) { return e.where == label; }, 10s);
    (void)co_await events.next_matching({.user = guild}, 10s);
    oauth2::authorization_request invite{.scopes = {oauth2::scope::bot}, .permissions = oauth2::permission::send_messages};
    (void)client.authorization_url(invite);
    (void)co_await client.get_guilds(token, {.limit = 10});
    oauth2::web_server_config embedded{.listen = false};
    oauth2::client_config config{.client_id = guild, .redirect_uri = "http://127.0.0.1:1/callback"};
    oauth2::user me = co_await client.get_current_user(token);
    (void)oauth2::cdn::avatar_url(me, {.format = oauth2::cdn::image_format::webp});
    (void)embedded;
    (void)config;
#elif CASE == 1
    (void)co_await events.next_matching([label](const oauth2::event& e) { return e.claims && e.claims->flow == label; },
                                        10s);
#elif CASE == 2
    (void)co_await client.add_guild_member(token, guild, user, {.nick = label});
#elif CASE == 3
    (void)co_await client.async_add_guild_member(token, guild, user, {.nick = label}, asio::use_awaitable);
#elif CASE == 4
    (void)co_await client.update_role_connection(token, {.platform_name = label});
#elif CASE == 5
    (void)co_await client.async_update_role_connection(token, {.platform_name = label}, asio::use_awaitable);
#elif CASE == 6
    (void)co_await client.edit_current_application({.event_webhooks_url = label});
#elif CASE == 7
    (void)co_await client.async_edit_current_application({.event_webhooks_url = label}, asio::use_awaitable);
#elif CASE == 8
    (void)co_await web.handle_request({.target = label});
#elif CASE == 9
    (void)co_await web.async_handle_request({.target = label}, asio::use_awaitable);
#endif
}
