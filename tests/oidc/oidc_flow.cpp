// The C++ side of the OpenID Connect interoperability test (tests/oidc/interop.mjs): the client
// against oidc-provider laid out as Discord. Arguments: ISSUER CLIENT_ID REDIRECT_URI; the client
// secret comes on the first line of stdin. It prints {"authorize": URL}, reads the callback URL
// the browser landed on (one line), then runs the flow and prints one JSON line per step:
// the code exchange (PKCE), the ID token verified with the link's nonce, userinfo, a refresh and
// its ID token, the revocation, and a refresh after it that must fail with invalid_grant.
// Exits 0 only when every step did what OpenID Connect says.
#include "core/url_encoding.hpp"
#include "json/writer.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <iostream>
#include <string>

namespace oauth2 = discord::oauth2;

namespace {

std::string param(const std::string& address, std::string_view name)
{
    auto query = address.substr(address.find('?') + 1);
    if (auto params = oauth2::url::parse_query(query))
        for (const auto& [k, v] : *params)
            if (k == name)
                return v;
    return {};
}

void line(oauth2::json::writer& w)
{
    std::cout << w.take() << std::endl;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::cerr << "usage: oidc_flow ISSUER CLIENT_ID REDIRECT_URI (the secret on stdin)\n";
        return 2;
    }
    std::string secret_text;
    std::getline(std::cin, secret_text);
    asio::io_context io(1);
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(std::stoull(argv[2]));
    c.client_secret = oauth2::secret(secret_text);
    c.redirect_uri = argv[3];
    c.endpoints = oauth2::endpoints::under(argv[1]);
    oauth2::client client(io.get_executor(), c);
    int status = 1;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request request;
        request.scopes = {"openid", "identify", "email"};
        auto link = client.authorization_url(request);
        oauth2::json::writer w;
        w.begin_object().field("authorize", link.url).end_object();
        line(w);
        std::string callback;
        std::getline(std::cin, callback);
        if (param(callback, "state") != link.state || param(callback, "iss") != c.endpoints.issuer)
            throw oauth2::error(oauth2::errc::invalid_state, "the callback's state or iss is not the link's");

        auto token = co_await client.exchange_code(param(callback, "code"), link.code_verifier);
        w.begin_object().field("step", "exchange").field("scope_count", static_cast<int>(token.scopes.size()))
            .field("id_token", token.id_token.has_value()).field("refresh_token", token.refresh_token.has_value()).end_object();
        line(w);
        if (!token.id_token || !token.refresh_token)
            co_return;

        std::string id_token = token.id_token->reveal();
        auto claims = co_await client.verify_id_token(std::move(id_token), link.nonce);
        w.begin_object().field("step", "verify").field("sub", claims.subject).field("nonce", claims.nonce.value_or(""))
            .field("email", claims.email.value_or("")).end_object();
        line(w);
        // The same token with another link's nonce must not verify.
        std::string again = token.id_token->reveal();
        std::string other_nonce = "another-links-nonce";
        bool replay_refused = false;
        try {
            co_await client.verify_id_token(std::move(again), std::move(other_nonce));
        } catch (const oauth2::error& e) {
            replay_refused = e.code() == oauth2::errc::invalid_id_token;
        }

        auto info = co_await client.get_userinfo(token);
        w.begin_object().field("step", "userinfo").field("sub", info.subject)
            .field("preferred_username", info.preferred_username.value_or("")).end_object();
        line(w);

        auto refreshed = co_await client.refresh(*token.refresh_token);
        std::string refreshed_claims_sub;
        if (refreshed.id_token) {
            std::string refreshed_id = refreshed.id_token->reveal();
            std::string none;
            refreshed_claims_sub = (co_await client.verify_id_token(std::move(refreshed_id), std::move(none))).subject;
        }
        w.begin_object().field("step", "refresh").field("rotated", !(refreshed.refresh_token == token.refresh_token))
            .field("id_token_sub", refreshed_claims_sub).end_object();
        line(w);

        co_await client.revoke(*refreshed.refresh_token, oauth2::token_type_hint::refresh_token);
        std::string after;
        try {
            co_await client.refresh(*refreshed.refresh_token);
            after = "refreshed";
        } catch (const oauth2::error& e) {
            after = e.code() == oauth2::errc::invalid_grant ? "invalid_grant" : e.what();
        }
        w.begin_object().field("step", "revoke").field("refresh_after", after).field("replay_refused", replay_refused).end_object();
        line(w);
        status = claims.subject == info.subject && claims.nonce == link.nonce && replay_refused && after == "invalid_grant"
                     && refreshed_claims_sub == claims.subject
                 ? 0
                 : 1;
    }, [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& failure) {
                std::cout << R"({"step":"failed","error":")" << failure.what() << "\"}" << std::endl;
            }
        }
    });
    io.run();
    return status;
}
