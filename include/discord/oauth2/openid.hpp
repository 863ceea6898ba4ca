// OpenID Connect with Discord (experimental: Discord serves /.well-known/openid-configuration,
// signs ID tokens with the keys at its jwks_uri and answers /oauth2/userinfo, but documents little
// of it; docs/oidc.md says what is assumed). Ask for the `openid` scope and the authorization link
// carries a nonce; the token endpoint then answers an `id_token`, which client::verify_id_token
// checks before anything in it is believed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// The claims of a verified ID token (OpenID Connect Core §2 and §5.1). Only what
/// verify_id_token returns has been verified: never read an ID token's payload by hand.
struct id_token_claims {
    std::string issuer;                ///< `iss`: the authorization server (Discord: https://discord.com)
    std::string subject;               ///< `sub`: the user's Discord id, as text
    std::vector<std::string> audience; ///< `aud`: the client ids it was issued to (ours among them)
    std::optional<std::string> authorized_party; ///< `azp`, when sent (must be our client id)
    std::chrono::system_clock::time_point expires_at; ///< `exp`
    std::chrono::system_clock::time_point issued_at;  ///< `iat`
    std::optional<std::chrono::system_clock::time_point> auth_time; ///< `auth_time`, when sent
    std::optional<std::string> nonce;  ///< `nonce`: the authorization link's, checked
    std::optional<std::string> email;  ///< with the `email` scope
    std::optional<bool> email_verified; ///< whether Discord verified `email`
    std::optional<std::string> preferred_username; ///< the username
    std::optional<std::string> nickname;           ///< the display name (global_name), when set
    std::optional<std::string> picture;            ///< the avatar's URL
    std::optional<std::string> locale;             ///< the user's language ("en-US")
};

/// What `GET /oauth2/userinfo` answers (scope `openid`; Discord's
/// OAuth2GetOpenIDConnectUserInfoResponse).
struct openid_userinfo {
    std::string subject;                           ///< `sub`: the user's Discord id
    std::optional<std::string> email;              ///< with the `email` scope; null when none
    std::optional<bool> email_verified;            ///< whether Discord verified `email`
    std::optional<std::string> preferred_username; ///< the username
    std::optional<std::string> nickname;           ///< the display name (global_name), when set
    std::optional<std::string> picture;            ///< the avatar's URL
    std::optional<std::string> locale;             ///< the user's language ("en-US")
};

} // namespace discord::oauth2
