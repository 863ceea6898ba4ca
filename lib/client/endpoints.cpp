#include <discord/oauth2/endpoints.hpp>

#include "client/response_errors.hpp"
#include "core/attempt.hpp"
#include "core/url_parts.hpp"
#include "http/client.hpp"
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

namespace discord::oauth2 {
namespace {

std::string without_trailing_slashes(std::string s)
{
    while (!s.empty() && s.back() == '/')
        s.pop_back();
    return s;
}

// Metadata endpoints must be absolute URLs an attacker on the path could not have swapped for
// plain http (RFC 8414 §2, RFC 6749 §3.1.2.1); loopback is allowed for local development.
void check_endpoint(std::string_view name, const std::string& address, bool required)
{
    if (address.empty()) {
        if (required)
            throw error(errc::invalid_response, fmt::format("the issuer metadata has no {}", name));
        return;
    }
    auto parts = url::split(address);
    bool https = parts && parts->scheme == "https";
    bool local_http = parts && parts->scheme == "http" && parts->on_loopback();
    if (!https && !local_http)
        throw error(errc::invalid_response,
                    fmt::format("the issuer metadata's {} is not an https URL (nor http on loopback)", name));
}

// "https://discord.com/api/v10" (what Discord's documentation calls the base URL), ".../api"
// and the host root all name the same server: the root is what the endpoints hang from.
std::string host_root(std::string base)
{
    base = without_trailing_slashes(std::move(base));
    auto slash = base.rfind('/');
    if (slash != std::string::npos && base.size() > slash + 2 && base[slash + 1] == 'v'
        && base.find_first_not_of("0123456789", slash + 2) == std::string::npos) {
        auto api = base.substr(0, slash);
        if (api.ends_with("/api"))
            base = api;
    }
    if (base.ends_with("/api"))
        base.erase(base.size() - 4);
    return without_trailing_slashes(std::move(base));
}

// The metadata document {issuer}/.well-known/{name}, or nullopt when there is none (404). A
// document that names another issuer may be a mix-up attack (RFC 8414 §3.3, OpenID Connect
// Discovery §4.3): refused.
asio::awaitable<std::optional<json::issuer_metadata>> fetch_metadata(http::client& http, const std::string& issuer,
                                                                    std::string_view name)
{
    http::request r;
    r.url = issuer + "/.well-known/" + std::string(name);
    r.fields.add("Accept", "application/json");
    auto response = co_await http.send(std::move(r));
    if (response.status == 404)
        co_return std::nullopt;
    rest::throw_unless_success(response, "the issuer metadata request");
    auto metadata = json::decode_issuer_metadata(response.body);
    if (without_trailing_slashes(metadata.issuer) != issuer)
        throw error(errc::invalid_response,
                    fmt::format("the metadata at {} names another issuer; refusing to use it", issuer));
    co_return metadata;
}

} // namespace

endpoints endpoints::under(const std::string& base)
{
    auto root = host_root(base);
    endpoints e;
    e.authorize = root + "/oauth2/authorize";
    e.api = root + "/api/v10";
    e.token = e.api + "/oauth2/token";
    e.revoke = e.api + "/oauth2/token/revoke";
    e.device_authorization = e.api + "/oauth2/device/authorize";
    e.jwks = e.api + "/oauth2/keys";
    e.userinfo = e.api + "/oauth2/userinfo";
    e.issuer = root;
    return e;
}

// Not a coroutine: g++ 12 destroys a coroutine's braced default argument twice.
asio::awaitable<endpoints> discover_endpoints(asio::any_io_executor executor, std::string issuer)
{
    return discover_endpoints(std::move(executor), std::move(issuer), discovery_options{});
}

asio::awaitable<endpoints> discover_endpoints(asio::any_io_executor executor, std::string issuer,
                                              discovery_options options)
{
    issuer = without_trailing_slashes(std::move(issuer));
    check_endpoint("issuer", issuer, true);

    http::client_options o;
    o.timeout = options.timeout;
    o.ca_file = options.ca_file;
    o.proxy = options.proxy;
    o.max_response_bytes = 256 * 1024;
    http::client http(executor, o);
    // RFC 8414 metadata, else OpenID Connect Discovery's document (the one Discord serves); the
    // latter also read for the OpenID members when the former lacks them.
    auto metadata = co_await fetch_metadata(http, issuer, "oauth-authorization-server");
    if (!metadata)
        metadata = co_await fetch_metadata(http, issuer, "openid-configuration");
    if (!metadata)
        throw error(errc::not_found, fmt::format("{} serves neither /.well-known/oauth-authorization-server nor "
                                                 "/.well-known/openid-configuration", issuer));
    if (metadata->jwks_uri.empty()) {
        auto openid = co_await core::attempt(fetch_metadata(http, issuer, "openid-configuration"));
        if (openid.value && *openid.value) {
            metadata->jwks_uri = (*openid.value)->jwks_uri;
            metadata->userinfo_endpoint = (*openid.value)->userinfo_endpoint;
        }
    }
    check_endpoint("authorization_endpoint", metadata->authorization_endpoint, true);
    check_endpoint("token_endpoint", metadata->token_endpoint, true);
    check_endpoint("revocation_endpoint", metadata->revocation_endpoint, false);
    check_endpoint("device_authorization_endpoint", metadata->device_authorization_endpoint, false);
    check_endpoint("jwks_uri", metadata->jwks_uri, false);
    check_endpoint("userinfo_endpoint", metadata->userinfo_endpoint, false);

    endpoints e;
    e.issuer = issuer;
    e.authorize = metadata->authorization_endpoint;
    e.token = metadata->token_endpoint;
    e.revoke = metadata->revocation_endpoint.empty() ? e.token + "/revoke" : metadata->revocation_endpoint;
    // Discord's metadata names no API base: it is where the token endpoint's /oauth2 lives,
    // pinned to the version the client speaks.
    auto api = e.token;
    if (auto at = api.rfind("/oauth2/token"); at != std::string::npos && at + 13 == api.size())
        api.erase(at);
    else
        api = issuer + "/api";
    if (api.ends_with("/api"))
        api += "/v10";
    e.api = api;
    e.device_authorization = metadata->device_authorization_endpoint.empty() ? api + "/oauth2/device/authorize"
                                                                            : metadata->device_authorization_endpoint;
    e.jwks = metadata->jwks_uri.empty() ? api + "/oauth2/keys" : metadata->jwks_uri;
    e.userinfo = metadata->userinfo_endpoint.empty() ? api + "/oauth2/userinfo" : metadata->userinfo_endpoint;
    co_return e;
}

} // namespace discord::oauth2
