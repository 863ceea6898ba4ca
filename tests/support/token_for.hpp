// A user's token from the emulator through the whole code flow: the authorization URL followed
// as the emulator's signed-in `user` (emulator_user=), the code exchanged with the verifier.
#pragma once

#include "core/url_encoding.hpp"
#include "http/client.hpp"

#include <discord/oauth2/client.hpp>

#include <asio/awaitable.hpp>

#include <doctest/doctest.h>

#include <string>

namespace test {

inline asio::awaitable<discord::oauth2::access_token>
token_for(discord::oauth2::client& client, discord::oauth2::http::client& browser,
          discord::oauth2::authorization_request request, std::string user)
{
    namespace url = discord::oauth2::url;
    auto link = client.authorization_url(request);
    discord::oauth2::http::request r;
    r.url = link.url + "&emulator_user=" + user;
    auto response = co_await browser.send(std::move(r));
    REQUIRE(response.status == 302);
    auto location = std::string(*response.fields.find("location"));
    auto params = url::parse_query(location.substr(location.find('?') + 1));
    REQUIRE(params);
    std::string code;
    for (const auto& [k, v] : *params)
        if (k == "code")
            code = v;
    REQUIRE_FALSE(code.empty());
    co_return co_await client.exchange_code(code, link.code_verifier);
}

} // namespace test
