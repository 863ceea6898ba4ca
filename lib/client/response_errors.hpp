// Turns Discord's error answers into the library's errors, with what Discord said attached.
#pragma once

#include "http/client.hpp"

#include <string_view>

namespace discord::oauth2::rest {

/// Throws for any status outside 2xx. `operation` names what was attempted, for the message.
/// Token endpoints answer RFC 6749 bodies; the API answers {"code", "message", "errors"}.
void throw_unless_success(const http::response& r, std::string_view operation);

} // namespace discord::oauth2::rest
