#include "support/authorize.hpp"

#include "core/url_encoding.hpp"
#include "support/run.hpp"

#include <discord/oauth2/client.hpp>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;

namespace test {

asio::awaitable<oauth2::access_token> obtain_token(oauth2::client& client, http::client& browser)
{
    oauth2::authorization_request request;
    request.scopes = {"identify"};
    auto link = client.authorization_url(request);
    http::request r;
    r.url = link.url;
    auto answer = co_await browser.send(std::move(r));
    auto location = std::string(*answer.fields.find("location"));
    auto params = url::parse_query(location.substr(location.find('?') + 1));
    std::string code;
    for (const auto& [k, v] : *params)
        if (k == "code")
            code = v;
    co_return co_await client.exchange_code(code, link.code_verifier);
}

asio::awaitable<int> consent_as(http::client& browser, std::string link, oauth2::snowflake user)
{
    http::request consent;
    consent.url = link + "&emulator_user=" + user.to_string();
    auto redirect = co_await browser.send(std::move(consent));
    auto location = redirect.fields.find("location");
    if (redirect.status != 302 || !location)
        co_return redirect.status;
    http::request callback;
    callback.url = std::string(*location);
    auto page = co_await browser.send(std::move(callback));
    co_return page.status;
}

void authorize(asio::io_context& io, const std::string& api_base, oauth2::token_store& store, oauth2::snowflake user,
               std::optional<std::chrono::system_clock::time_point> expires_at)
{
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = "http://127.0.0.1:53134/callback";
    c.endpoints = oauth2::endpoints::under(api_base);
    oauth2::client client(io.get_executor(), c);
    http::client browser(io.get_executor());
    test::run(io, [&]() -> asio::awaitable<void> {
        oauth2::stored_grant g;
        g.user_id = user;
        g.token = co_await obtain_token(client, browser);
        if (expires_at)
            g.token.expires_at = *expires_at;
        co_await store.save(std::move(g));
    }());
}

} // namespace test
