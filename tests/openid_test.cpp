// OpenID Connect (lib/client/openid.cpp, lib/core/jws.cpp) against the emulator over loopback:
// ID tokens signed with RS256, ES256 and EdDSA verified with the JWKS, claims typed, userinfo,
// discovery, key rotation; and every forgery an attacker holding a token could try (alg none,
// HMAC with the public key, another key under the same kid, changed claims, another client's
// token, another issuer, a stale token, a replayed nonce, a flood of unknown kids) refused.
#include "emulator.hpp"
#include "http/client.hpp"
#include "support/run.hpp"
#include "support/token_for.hpp"

#include "core/base64.hpp"
#include "core/jws.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/error.hpp>

#include <openssl/hmac.h>

#include <doctest/doctest.h>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace jws = discord::oauth2::jws;
namespace base64 = discord::oauth2::base64;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake airhorn{159799960412356608ULL};
const snowflake pocket{1100000000000000001ULL}; // the public client
const std::string nelly = "80351110224678912";
const std::string keys_route = "GET /api/v10/oauth2/keys";

struct fixture {
    asio::io_context io;
    em::emulator discord;
    oauth2::client client;
    http::client browser;

    explicit fixture(std::string alg = "RS256", em::options o = options())
        : discord(io.get_executor(), with_alg(std::move(o), std::move(alg))),
          client(io.get_executor(), (discord.start(), config(airhorn))), browser(io.get_executor())
    {
    }

    static em::options options()
    {
        em::options o;
        o.rate_limits.enabled = false;
        o.auto_approve = true;
        return o;
    }

    static em::options with_alg(em::options o, std::string alg)
    {
        o.id_token_algorithm = std::move(alg);
        return o;
    }

    oauth2::client_config config(snowflake id) const
    {
        oauth2::client_config c;
        c.client_id = id;
        if (id == airhorn)
            c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
        c.redirect_uri = "http://127.0.0.1:53134/callback";
        c.endpoints = oauth2::endpoints::under(discord.url());
        c.jwks_refetch_interval = 0ms;
        return c;
    }

    // The whole flow with openid: the token and the link's nonce.
    asio::awaitable<std::pair<oauth2::access_token, std::string>> sign_in(oauth2::client& c, std::vector<std::string> scopes)
    {
        oauth2::authorization_request r;
        r.scopes = std::move(scopes);
        auto link = c.authorization_url(r);
        REQUIRE(link.url.find("nonce=" + link.nonce) != std::string::npos);
        r.nonce = link.nonce; // the same link again, so token_for follows it
        auto token = co_await test::token_for(c, browser, r, nelly);
        co_return std::pair{std::move(token), link.nonce};
    }
};

// A JWT with `header` and `claims` (JSON texts) and the raw `signature`.
std::string compact(std::string_view header, std::string_view claims, std::string_view signature)
{
    return base64::encode_url(header) + "." + base64::encode_url(claims) + "." + base64::encode_url(signature);
}

std::string part(const std::string& token, int index)
{
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    auto text = index == 0 ? token.substr(0, first)
              : index == 1 ? token.substr(first + 1, second - first - 1)
                           : token.substr(second + 1);
    return *base64::decode_url(text);
}

} // namespace

TEST_CASE("ID tokens signed with RS256, ES256 and EdDSA verify; claims typed; refresh and userinfo")
{
    const std::vector<std::string> algorithms{"RS256", "ES256", "EdDSA"};
    for (const auto& alg : algorithms) {
        CAPTURE(alg);
        fixture f(alg);
        test::run(f.io, [&]() -> asio::awaitable<void> {
            std::vector<std::string> scopes{"openid", "identify", "email"};
            auto [token, nonce] = co_await f.sign_in(f.client, scopes);
            REQUIRE(token.id_token);
            CHECK(part(token.id_token->reveal(), 0).find("\"alg\":\"" + alg + "\"") != std::string::npos);
            auto claims = co_await f.client.verify_id_token(token.id_token->reveal(), nonce);
            CHECK(claims.issuer == f.discord.url());
            CHECK(claims.subject == nelly);
            CHECK(claims.audience == std::vector<std::string>{"159799960412356608"});
            CHECK(claims.nonce == nonce);
            CHECK(claims.preferred_username == "Nelly");
            CHECK(claims.email);
            CHECK(claims.email_verified == true);
            CHECK(claims.expires_at > std::chrono::system_clock::now());

            // A refreshed grant brings a new ID token without the nonce: verified without one.
            auto refreshed = co_await f.client.refresh(*token.refresh_token);
            REQUIRE(refreshed.id_token);
            std::string no_nonce;
            CHECK((co_await f.client.verify_id_token(refreshed.id_token->reveal(), no_nonce)).subject == nelly);

            auto info = co_await f.client.get_userinfo(refreshed);
            CHECK(info.subject == nelly);
            CHECK(info.preferred_username == "Nelly");
            CHECK(info.email == claims.email);
            // One JWKS fetch served both verifications.
            CHECK(f.discord.calls(keys_route) == 1);
        }());
    }
}

TEST_CASE("without openid there is no nonce and no ID token; userinfo needs the scope")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request r;
        r.scopes = {"identify"};
        auto link = f.client.authorization_url(r);
        CHECK(link.nonce.empty());
        CHECK(link.url.find("nonce=") == std::string::npos);
        auto token = co_await test::token_for(f.client, f.browser, r, nelly);
        CHECK_FALSE(token.id_token);
        auto scope = co_await test::expect_error([&]() { return f.client.get_userinfo(token); });
        CHECK(scope.code() == oauth2::errc::missing_scope);
    }());
}

TEST_CASE("forged ID tokens are refused: alg none, HMAC with the public key, another key, changed claims")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"openid", "identify"};
        auto [token, nonce] = co_await f.sign_in(f.client, scopes);
        auto genuine = token.id_token->reveal();
        auto header = part(genuine, 0);
        auto claims = part(genuine, 1);
        auto kid_at = header.find("\"kid\":\"") + 7;
        auto kid = header.substr(kid_at, header.find('"', kid_at) - kid_at);
        // Named strings only: g++ 12 mishandles class-type temporaries in a co_await's expression.
        std::string forged;
        auto refused = [&]() -> asio::awaitable<std::string> {
            auto e = co_await test::expect_error([&]() { return f.client.verify_id_token(forged, nonce); });
            CHECK(e.code() == oauth2::errc::invalid_id_token);
            co_return std::string(e.what());
        };

        // alg none with no signature, and with the genuine one.
        std::string none_header = R"({"alg":"none","kid":")" + kid + R"("})";
        forged = compact(none_header, claims, "");
        CHECK((co_await refused()).find("'none' is not accepted") != std::string::npos);
        forged = compact(none_header, claims, part(genuine, 2));
        CHECK((co_await refused()).find("not accepted") != std::string::npos);

        // HS256 keyed with the public key's text: the classic confusion. Its JWK is public.
        http::request jwks_request;
        jwks_request.url = f.discord.url() + "/api/v10/oauth2/keys";
        auto jwks = co_await f.browser.send(std::move(jwks_request));
        std::string hs_header = R"({"alg":"HS256","kid":")" + kid + R"("})";
        auto input = base64::encode_url(hs_header) + "." + base64::encode_url(claims);
        unsigned char mac[32];
        unsigned int mac_size = 0;
        auto key_text = std::string(jwks.body.view());
        HMAC(EVP_sha256(), key_text.data(), static_cast<int>(key_text.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
        forged = input + "." + base64::encode_url(std::string_view(reinterpret_cast<char*>(mac), mac_size));
        CHECK((co_await refused()).find("'HS256' is not accepted") != std::string::npos);

        // Another RSA key signing under the genuine kid.
        jws::signing_key attacker(jws::algorithm::rs256);
        auto rs_input = base64::encode_url(header) + "." + base64::encode_url(claims);
        forged = rs_input + "." + base64::encode_url(attacker.sign(rs_input));
        CHECK((co_await refused()).find("signature") != std::string::npos);

        // The genuine signature over changed claims (another subject).
        auto other_subject = claims;
        other_subject.replace(other_subject.find(nelly), nelly.size(), "613425648685547541");
        forged = compact(header, other_subject, part(genuine, 2));
        CHECK((co_await refused()).find("signature") != std::string::npos);

        // A header naming RS256 for a kid whose key is EC is refused by the key's type (an
        // ES256 emulator); here the key is RSA, so ES256 under this kid finds no key.
        std::string es_header = R"({"alg":"ES256","kid":")" + kid + R"("})";
        forged = compact(es_header, claims, std::string(64, 'x'));
        CHECK((co_await refused()).find("no ES256 key") != std::string::npos);

        // Not a JWS at all; a header with crit.
        forged = "a.b";
        CHECK((co_await refused()).find("compact form") != std::string::npos);
        forged = compact(R"({"alg":"RS256","crit":["exp"]})", claims, part(genuine, 2));
        CHECK((co_await refused()).find("header") != std::string::npos);

        // The genuine token still verifies, and with a wrong nonce it does not.
        CHECK((co_await f.client.verify_id_token(genuine, nonce)).subject == nelly);
        std::string wrong_nonce = "a-nonce-from-another-link";
        auto replayed = co_await test::expect_error([&]() { return f.client.verify_id_token(genuine, wrong_nonce); });
        CHECK(std::string(replayed.what()).find("nonce") != std::string::npos);
    }());
}

TEST_CASE("ID tokens for another client, from another issuer, or expired are refused")
{
    auto o = fixture::options();
    o.token_ttl = 1s; // the ID token lives as long as the grant here
    fixture f("ES256", o);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // The public client's token shown to the confidential client: aud is not ours.
        oauth2::client pocket_client(f.io.get_executor(), f.config(pocket));
        std::vector<std::string> scopes{"openid", "identify"};
        auto [pocket_token, pocket_nonce] = co_await f.sign_in(pocket_client, scopes);
        CHECK((co_await pocket_client.verify_id_token(pocket_token.id_token->reveal(), pocket_nonce)).subject == nelly);
        auto other_client = co_await test::expect_error(
            [&]() { return f.client.verify_id_token(pocket_token.id_token->reveal(), pocket_nonce); });
        CHECK(std::string(other_client.what()).find("another client") != std::string::npos);

        // A client that expects another issuer.
        auto c = f.config(airhorn);
        c.endpoints.issuer = "https://discord.com";
        oauth2::client strict(f.io.get_executor(), c);
        std::vector<std::string> openid_only{"openid"};
        auto [token, nonce] = co_await f.sign_in(f.client, openid_only);
        auto issuer = co_await test::expect_error([&]() { return strict.verify_id_token(token.id_token->reveal(), nonce); });
        CHECK(std::string(issuer.what()).find("issued by") != std::string::npos);

        // Expired, with no skew allowed.
        c = f.config(airhorn);
        c.clock_skew = 0s;
        oauth2::client no_skew(f.io.get_executor(), c);
        co_await test::sleep(2100ms);
        auto expired = co_await test::expect_error([&]() { return no_skew.verify_id_token(token.id_token->reveal(), nonce); });
        CHECK(std::string(expired.what()).find("expired") != std::string::npos);
        // The default minute of skew still takes it.
        CHECK((co_await f.client.verify_id_token(token.id_token->reveal(), nonce)).subject == nelly);
    }());
}

TEST_CASE("key rotation: the JWKS is fetched again once for an unknown kid, and not for every forged one")
{
    fixture f("EdDSA");
    auto c = f.config(airhorn);
    c.jwks_refetch_interval = 1h;
    oauth2::client throttled(f.io.get_executor(), c);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> openid_only{"openid"};
        auto [first, first_nonce] = co_await f.sign_in(f.client, openid_only);
        co_await f.client.verify_id_token(first.id_token->reveal(), first_nonce);
        CHECK(f.discord.calls(keys_route) == 1);

        http::request rotate;
        rotate.method = "POST";
        rotate.url = f.discord.url() + "/_emulator/jwks/rotate";
        CHECK((co_await f.browser.send(std::move(rotate))).status == 200);
        auto [second, second_nonce] = co_await f.sign_in(f.client, openid_only);
        CHECK(part(second.id_token->reveal(), 0) != part(first.id_token->reveal(), 0)); // another kid
        co_await f.client.verify_id_token(second.id_token->reveal(), second_nonce);
        CHECK(f.discord.calls(keys_route) == 2);
        // The old key is still published: tokens it signed still verify, without a fetch.
        co_await f.client.verify_id_token(first.id_token->reveal(), first_nonce);
        CHECK(f.discord.calls(keys_route) == 2);

        // With a refetch interval of an hour, a flood of unknown kids costs one fetch at most.
        co_await throttled.verify_id_token(first.id_token->reveal(), first_nonce);
        auto before = f.discord.calls(keys_route);
        auto claims = part(first.id_token->reveal(), 1);
        for (int i = 0; i < 20; ++i) {
            auto forged = compact(R"({"alg":"EdDSA","kid":"forged-)" + std::to_string(i) + R"("})", claims, std::string(64, 'x'));
            auto e = co_await test::expect_error([&]() { return throttled.verify_id_token(forged, first_nonce); });
            CHECK(e.code() == oauth2::errc::invalid_id_token);
        }
        CHECK(f.discord.calls(keys_route) - before <= 1);
    }());
}

TEST_CASE("an issuer whose JWKS never answered is asked again at most once per refetch interval")
{
    fixture f("EdDSA");
    auto c = f.config(airhorn);
    c.jwks_refetch_interval = 1h;
    oauth2::client throttled(f.io.get_executor(), c);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> openid_only{"openid"};
        auto [signed_in, nonce] = co_await f.sign_in(f.client, openid_only);
        f.discord.add_fault(em::fault::parse("GET /oauth2/keys status=503"));
        auto token = signed_in.id_token->reveal();
        for (int i = 0; i < 20; ++i) {
            auto e = co_await test::expect_error([&]() { return throttled.verify_id_token(token, nonce); });
            CHECK(e.code() != oauth2::errc::invalid_argument);
        }
        CHECK(f.discord.calls(keys_route) <= 3); // one fetch with its retries of a 503, not twenty
        f.discord.clear_faults();
    }());
}

TEST_CASE("discovery: the OpenID configuration names the JWKS and userinfo, also where RFC 8414 metadata is missing")
{
    auto o = fixture::options();
    o.faults = {em::fault::parse("GET /.well-known/oauth-authorization-server status=404")};
    fixture f("RS256", o);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto found = co_await oauth2::discover_endpoints(f.io.get_executor(), f.discord.url());
        CHECK(found.issuer == f.discord.url());
        CHECK(found.jwks == f.discord.url() + "/api/oauth2/keys");
        CHECK(found.userinfo == f.discord.url() + "/api/oauth2/userinfo");
        CHECK(found.token == f.discord.url() + "/api/oauth2/token");
        auto c = f.config(airhorn);
        c.endpoints = found;
        oauth2::client discovered(f.io.get_executor(), c);
        std::vector<std::string> scopes{"openid", "identify"};
        auto [token, nonce] = co_await f.sign_in(discovered, scopes);
        CHECK((co_await discovered.verify_id_token(token.id_token->reveal(), nonce)).subject == nelly);
        CHECK((co_await discovered.get_userinfo(token)).subject == nelly);
    }());
}
