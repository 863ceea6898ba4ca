// OpenID Connect (experimental): ID tokens verified against the issuer's JWKS, and userinfo.
// Nothing in a token is believed before its signature and claims are checked, and the checks
// never depend on what the token says about itself (its `alg` only picks among the three
// algorithms accepted, and must match the key's type).
#include "client/client_impl.hpp"
#include "core/base64.hpp"
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>

namespace discord::oauth2 {
namespace {

constexpr auto jwks_max_age = std::chrono::hours(1);

[[noreturn]] void refuse(std::string_view why)
{
    throw error(errc::invalid_id_token, "the ID token is refused: " + std::string(why));
}

http::padded_buffer buffer(std::string_view text)
{
    http::padded_buffer b;
    b.append(text.data(), text.size());
    return b;
}

// The keys of a JWKS that can verify something: a key of a type, curve or declared algorithm
// not accepted here, one for encryption, or one OpenSSL refuses is left out.
std::vector<rest::cached_key> usable_keys(const std::vector<json::jwk>& keys)
{
    std::vector<rest::cached_key> out;
    for (const auto& k : keys) {
        if (k.use && *k.use != "sig")
            continue;
        auto bytes = [](const std::optional<std::string>& member) { return member ? base64::decode_url(*member) : std::nullopt; };
        try {
            std::optional<jws::public_key> key;
            if (k.kty == "RSA") {
                auto n = bytes(k.n), e = bytes(k.e);
                if (n && e)
                    key = jws::public_key::rsa(*n, *e);
            } else if (k.kty == "EC" && k.crv == "P-256") {
                auto x = bytes(k.x), y = bytes(k.y);
                if (x && y)
                    key = jws::public_key::p256(*x, *y);
            } else if (k.kty == "OKP" && k.crv == "Ed25519") {
                if (auto x = bytes(k.x))
                    key = jws::public_key::ed25519(*x);
            }
            if (!key)
                continue;
            // A key that declares an algorithm serves that one only.
            if (k.alg && jws::parse_algorithm(*k.alg) != key->alg())
                continue;
            out.push_back({k.kid.value_or(""), *key});
        } catch (const error&) {
            continue;
        }
    }
    return out;
}

bool same_text(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

asio::awaitable<jws::public_key> client::impl::id_token_key(std::optional<std::string> kid, jws::algorithm alg)
{
    auto find = [&]() -> std::optional<jws::public_key> {
        std::lock_guard lock(jwks_mutex);
        std::optional<jws::public_key> only;
        int matching = 0;
        for (const auto& k : jwks) {
            if (k.key.alg() != alg)
                continue;
            if (kid && k.kid == *kid)
                return k.key;
            if (!kid) {
                only = k.key;
                ++matching;
            }
        }
        return matching == 1 ? only : std::nullopt;
    };
    auto now = std::chrono::steady_clock::now();
    bool stale;
    {
        std::lock_guard lock(jwks_mutex);
        stale = !jwks_loaded || now - jwks_fetched > jwks_max_age;
    }
    if (!stale)
        if (auto key = find())
            co_return *key;
    // At most one fetch per jwks_refetch_interval, whatever the reason: an unknown kid, keys
    // past their age, or none ever fetched (an issuer that keeps failing is not asked again on
    // every sign-in).
    bool may_fetch;
    bool loaded;
    {
        std::lock_guard lock(jwks_mutex);
        may_fetch = !jwks_attempted || now - jwks_fetched >= config.jwks_refetch_interval;
        if (may_fetch) {
            jwks_attempted = true;
            jwks_fetched = now; // claimed before the request: concurrent misses do not fetch again
        }
        loaded = jwks_loaded;
    }
    if (!may_fetch && !loaded)
        refuse(fmt::format("the issuer's JWKS could not be fetched when last tried, and is tried again at most every "
                           "{} ms (jwks_refetch_interval)",
                           config.jwks_refetch_interval.count()));
    if (may_fetch) {
        http::request r;
        r.url = config.endpoints.jwks;
        r.fields.add("Accept", "application/json");
        auto response = co_await send(std::move(r), "GET jwks", repeat::safe);
        rest::throw_unless_success(response, "the issuer's JWKS");
        auto keys = usable_keys(json::decode_jwks(response.body));
        log(log_level::info, "fetched the issuer's JWKS: {} usable key(s)", keys.size());
        std::lock_guard lock(jwks_mutex);
        jwks = std::move(keys);
        jwks_loaded = true;
        jwks_fetched = std::chrono::steady_clock::now();
    }
    if (auto key = find())
        co_return *key;
    refuse(kid ? fmt::format("the issuer's JWKS has no {} key with kid '{}'", jws::name(alg), *kid)
               : fmt::format("it names no kid, and the issuer's JWKS has not exactly one {} key", jws::name(alg)));
}

asio::awaitable<id_token_claims> client::verify_id_token(std::string id_token, std::string nonce)
{
    auto first = id_token.find('.');
    auto second = first == std::string::npos ? first : id_token.find('.', first + 1);
    if (second == std::string::npos || id_token.find('.', second + 1) != std::string::npos)
        refuse("it is not a JWS in compact form (three parts separated by dots)");
    std::string_view whole(id_token);
    auto header_text = base64::decode_url(whole.substr(0, first));
    auto payload_text = base64::decode_url(whole.substr(first + 1, second - first - 1));
    auto signature = base64::decode_url(whole.substr(second + 1));
    if (!header_text || !payload_text || !signature)
        refuse("a part is not base64url");

    json::jose_header header;
    try {
        header = json::decode_jose_header(buffer(*header_text));
    } catch (const error& e) {
        refuse(fmt::format("its header is not a JWS header ({})", e.what()));
    }
    auto alg = jws::parse_algorithm(header.alg);
    if (!alg)
        refuse(fmt::format("its alg '{}' is not accepted (RS256, ES256 and EdDSA are; never none or HMAC)", header.alg));
    auto key = co_await impl_->id_token_key(header.kid, *alg);
    if (!key.verify(*alg, whole.substr(0, second), *signature))
        refuse("its signature does not verify with the issuer's key");

    id_token_claims claims;
    try {
        claims = json::decode_id_token_claims(buffer(*payload_text));
    } catch (const error& e) {
        refuse(fmt::format("its claims are malformed ({})", e.what()));
    }
    const auto& c = impl_->config;
    if (claims.issuer != c.endpoints.issuer)
        refuse(fmt::format("it was issued by '{}', not '{}'", claims.issuer, c.endpoints.issuer));
    auto client_id = c.client_id.to_string();
    if (std::find(claims.audience.begin(), claims.audience.end(), client_id) == claims.audience.end())
        refuse("it was issued to another client (aud)");
    if ((claims.audience.size() > 1 || claims.authorized_party) && claims.authorized_party != client_id)
        refuse("its authorized party (azp) is another client");
    auto now = std::chrono::system_clock::now();
    if (now >= claims.expires_at + c.clock_skew)
        refuse("it has expired (exp)");
    if (claims.issued_at > now + c.clock_skew)
        refuse("it was issued in the future (iat)");
    if (claims.subject.empty())
        refuse("it names no subject (sub)");
    if (!nonce.empty() && (!claims.nonce || !same_text(*claims.nonce, nonce)))
        refuse("its nonce is not the authorization link's");
    co_return claims;
}

asio::awaitable<openid_userinfo> client::get_userinfo(const access_token& token)
{
    impl_->require_scope(token, "openid", "get_userinfo");
    http::request r;
    r.url = impl_->config.endpoints.userinfo;
    rest::add_authorization(r.fields, "Bearer", token.token);
    auto response = co_await impl_->send(std::move(r), "GET /oauth2/userinfo", impl::repeat::safe);
    rest::throw_unless_success(response, "GET /oauth2/userinfo");
    co_return json::decode_openid_userinfo(response.body);
}

} // namespace discord::oauth2
