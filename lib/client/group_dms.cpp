// Group DMs from users' tokens (gdm.join), sent with the application's bot token.
#include "client/client_impl.hpp"
#include "json/decode.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <set>

namespace discord::oauth2 {

asio::awaitable<private_channel> client::create_group_dm(std::vector<access_token> tokens,
                                                         std::vector<std::pair<snowflake, std::string>> nicks)
{
    auto request = impl_->bot_request("POST", "/users/@me/channels", "create_group_dm");
    if (tokens.empty())
        throw error(errc::invalid_argument, "create_group_dm needs at least one user's access token");
    std::set<std::string_view> seen;
    json::writer body;
    body.begin_object().key("access_tokens").begin_array();
    for (const auto& t : tokens) {
        impl_->require_scope(t, "gdm.join", "create_group_dm");
        if (!seen.insert(t.token.reveal()).second)
            throw error(errc::invalid_argument, "create_group_dm: the same access token is given twice");
        body.value(t.token.reveal());
    }
    body.end_array();
    if (!nicks.empty()) {
        std::set<snowflake> named;
        body.key("nicks").begin_object();
        for (const auto& [user, nick] : nicks) {
            if (!named.insert(user).second)
                throw error(errc::invalid_argument,
                            fmt::format("create_group_dm: user {} is given two nicknames", user.to_string()));
            body.field(user.to_string(), nick);
        }
        body.end_object();
    }
    body.end_object();
    request.fields.add("Content-Type", "application/json");
    request.body = body.take();
    // Never repeated: each answer is a new channel, and Discord keeps at most 10.
    auto response = co_await impl_->send(std::move(request), "POST /users/@me/channels", impl::repeat::never);
    rest::throw_unless_success(response, "POST /users/@me/channels");
    co_return json::decode_private_channel(response.body);
}

asio::awaitable<group_dm_join> client::add_group_dm_recipient(const access_token& token, snowflake channel_id,
                                                              snowflake user_id, std::string nick)
{
    auto request = impl_->bot_request(
        "PUT", "/channels/" + channel_id.to_string() + "/recipients/" + user_id.to_string(), "add_group_dm_recipient");
    impl_->require_scope(token, "gdm.join", "add_group_dm_recipient");
    json::writer body;
    body.begin_object().field("access_token", token.token.reveal());
    if (!nick.empty())
        body.field("nick", nick);
    body.end_object();
    request.fields.add("Content-Type", "application/json");
    request.body = body.take();
    // Adding twice is harmless: the second answer is 204.
    auto response = co_await impl_->send(std::move(request), "PUT /channels/{channel}/recipients/{user}",
                                         impl::repeat::safe);
    rest::throw_unless_success(response, "PUT /channels/{channel}/recipients/{user}");
    group_dm_join result;
    result.added = response.status == 201;
    if (result.added)
        result.channel = json::decode_private_channel(response.body);
    co_return result;
}

} // namespace discord::oauth2
