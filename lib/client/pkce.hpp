// The PKCE verifier make_pkce makes, alone: the web server seals it into a link's state before
// the client derives the challenge for the link's URL, so the challenge is computed once.
#pragma once

#include <discord/oauth2/secret.hpp>

namespace discord::oauth2 {

/// A new RFC 7636 verifier: 64 base64url characters from 48 random bytes. Any thread.
[[nodiscard]] secret new_pkce_verifier();

} // namespace discord::oauth2
