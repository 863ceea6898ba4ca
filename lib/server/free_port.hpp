// A loopback port nobody listens on right now, for tests, benchmarks and the demo that must
// name a port before the server that takes it starts (a redirect URI, a database). Fixed ports
// collide with other runs and with the TIME_WAIT of earlier connections; the port is drawn at
// random below the kernel's ephemeral range, which servers binding port 0 and outgoing
// connections draw from.
#pragma once

#include <cstdint>

namespace discord::oauth2::server {

[[nodiscard]] std::uint16_t free_port();

} // namespace discord::oauth2::server
