// Where an authorization server's endpoints are: Discord's by default, another host with
// Discord's layout (the emulator, a proxy), or discovered from an issuer's RFC 8414 metadata.
#pragma once

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace discord::oauth2 {

/// The URLs of an authorization server with Discord's layout; Discord's by default.
struct endpoints {
    std::string authorize = "https://discord.com/oauth2/authorize";         ///< where users authorize
    std::string token = "https://discord.com/api/v10/oauth2/token";         ///< codes and refreshes
    std::string revoke = "https://discord.com/api/v10/oauth2/token/revoke"; ///< RFC 7009 revocation
    /// RFC 8628 device authorization (client::start_device_authorization).
    std::string device_authorization = "https://discord.com/api/v10/oauth2/device/authorize";
    std::string api = "https://discord.com/api/v10";                        ///< the REST API's base
    /// OpenID Connect: the JWK set that signs ID tokens (client::verify_id_token).
    std::string jwks = "https://discord.com/api/v10/oauth2/keys";
    /// OpenID Connect: the userinfo endpoint (client::get_userinfo).
    std::string userinfo = "https://discord.com/api/v10/oauth2/userinfo";
    /// The `iss` a genuine authorization response carries (RFC 9207).
    std::string issuer = "https://discord.com";

    /// "http://127.0.0.1:4000" -> authorize at /oauth2/authorize, the rest under /api/v10, and
    /// the host root as the issuer. The root, ".../api" and ".../api/vN" (Discord's
    /// documentation calls "https://discord.com/api/v10" the base URL) are taken alike: the
    /// endpoints hang from the host root, and the API is always version 10, the one the client speaks.
    [[nodiscard]] static endpoints under(const std::string& base);
};

/// How discover_endpoints fetches the metadata.
struct discovery_options {
    /// For the whole request.
    std::chrono::milliseconds timeout{10'000};
    std::string ca_file; ///< empty: the system's CAs
    std::string proxy;   ///< an HTTP(S) proxy URL; empty: none
};

/// Reads `{issuer}/.well-known/oauth-authorization-server` (RFC 8414), or where there is none
/// `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery, which Discord serves;
/// also read for `jwks_uri` and `userinfo_endpoint` when the first lacks them), and returns its
/// endpoints. The metadata must name the same issuer (RFC 8414 §3.3) and use https unless the
/// issuer is on loopback; anything else throws `error` (invalid_response; not_found when neither
/// document exists). The API base, which the metadata does not give, is the token endpoint's
/// `/api` followed by `/v10`.
[[nodiscard]] asio::awaitable<endpoints> discover_endpoints(asio::any_io_executor executor, std::string issuer,
                                                            discovery_options options);
/// The same with default options.
[[nodiscard]] asio::awaitable<endpoints> discover_endpoints(asio::any_io_executor executor, std::string issuer);

} // namespace discord::oauth2
