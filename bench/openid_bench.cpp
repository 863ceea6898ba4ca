// OpenID Connect: what verify_id_token costs per ID token for each algorithm, against the bare
// signature check of the same token with the same key (OpenSSL alone), and how many JWKS fetches
// the cache leaves per 1,000 verifications. The emulator signs the tokens in-process.
//
//   openid_bench [--verifications N]
#include "emulator.hpp"
#include "measure.hpp"

#include "core/base64.hpp"
#include "core/jws.hpp"
#include "core/url_encoding.hpp"
#include "http/client.hpp"

#include <discord/oauth2/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <string>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace jws = discord::oauth2::jws;

namespace {

struct figures {
    double verify_us = 0;    // CPU per verify_id_token
    double signature_us = 0; // CPU per bare signature check
    std::uint64_t fetches = 0;
};

figures measure(const std::string& alg, int n)
{
    asio::io_context io(1);
    em::options o;
    o.rate_limits.enabled = false;
    o.auto_approve = true;
    o.id_token_algorithm = alg;
    em::emulator discord(io.get_executor(), o);
    discord.start();
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = "http://127.0.0.1:53134/callback";
    c.endpoints = oauth2::endpoints::under(discord.url());
    oauth2::client client(io.get_executor(), c);
    http::client browser(io.get_executor());
    figures f;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request r;
        r.scopes = {"openid", "identify", "email"};
        auto link = client.authorization_url(r);
        http::request follow;
        follow.url = link.url;
        auto redirect = co_await browser.send(std::move(follow));
        auto location = std::string(*redirect.fields.find("location"));
        std::string code;
        if (location.find("code=") == std::string::npos)
            throw std::runtime_error("no code in the redirect: " + location);
        auto params = oauth2::url::parse_query(location.substr(location.find('?') + 1));
        for (const auto& [k, v] : *params)
            if (k == "code")
                code = v;
        auto token = co_await client.exchange_code(code, link.code_verifier);
        const auto& id_token = token.id_token->reveal();

        co_await client.verify_id_token(id_token, link.nonce); // fetches the JWKS once
        auto before = cpu_seconds();
        for (int i = 0; i < n; ++i) {
            std::string copy = id_token;
            co_await client.verify_id_token(std::move(copy), link.nonce);
        }
        f.verify_us = (cpu_seconds() - before) * 1e6 / n;
        f.fetches = discord.calls("GET /api/v10/oauth2/keys");

        // The same check with OpenSSL alone: the key from the JWKS, the signature over the input.
        http::request keys;
        keys.url = discord.url() + "/api/v10/oauth2/keys";
        auto jwks = std::string((co_await browser.send(std::move(keys))).body.view());
        auto member = [&](std::string_view name) {
            auto at = jwks.find("\"" + std::string(name) + "\":\"") + name.size() + 4;
            return *oauth2::base64::decode_url(std::string_view(jwks).substr(at, jwks.find('"', at) - at));
        };
        auto key = alg == "RS256" ? jws::public_key::rsa(member("n"), member("e"))
                 : alg == "ES256" ? jws::public_key::p256(member("x"), member("y"))
                                  : jws::public_key::ed25519(member("x"));
        auto dot = id_token.rfind('.');
        auto signature = *oauth2::base64::decode_url(std::string_view(id_token).substr(dot + 1));
        auto input = std::string_view(id_token).substr(0, dot);
        before = cpu_seconds();
        int good = 0;
        for (int i = 0; i < n; ++i)
            good += key.verify(key.alg(), input, signature) ? 1 : 0;
        f.signature_us = (cpu_seconds() - before) * 1e6 / n;
        if (good != n)
            throw std::runtime_error("the bare check failed");
    }, [&](std::exception_ptr e) {
        discord.stop(); // io.run() returns once the emulator no longer listens
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
    return f;
}

} // namespace

int main(int argc, char** argv)
{
    int n = 2000;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--verifications") == 0)
            n = std::stoi(argv[i + 1]);
    fmt::print("openid: verify_id_token against the bare OpenSSL signature check, {} verifications each\n", n);
    fmt::print("{:<6} {:>14} {:>14} {:>10} {:>16}\n", "alg", "verify us/op", "openssl us/op", "ratio", "JWKS per 1,000");
    for (std::string alg : {"RS256", "ES256", "EdDSA"}) {
        auto f = measure(alg, n);
        fmt::print("{:<6} {:>14.1f} {:>14.1f} {:>9.2f}x {:>16.2f}\n", alg, f.verify_us, f.signature_us,
                   f.verify_us / f.signature_us, 1000.0 * static_cast<double>(f.fetches) / (n + 1));
    }
}
