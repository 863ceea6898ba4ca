// Discord's side of a signed request in the tests: the library's own Ed25519 signing key (the
// emulator signs its deliveries with it too), under the name the tests use.
#pragma once

#include "core/ed25519.hpp"

namespace test {

using ed25519_signer = discord::oauth2::ed25519::signing_key;

} // namespace test
