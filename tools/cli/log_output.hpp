// Where the command line writes the library's log records: nowhere unless asked, else stderr,
// as lines for people (--log-format text) or one JSON object a line (--log-format json) for a
// log collector (journald, Loki, a Kubernetes node agent). Records never hold a secret: the
// library's messages and fields name routes, statuses and timings, never a token or a key.
#pragma once

#include "arguments.hpp"
#include "settings.hpp"

#include <discord/oauth2/client.hpp>

#include <string>

namespace cli {

namespace oauth2 = discord::oauth2;

/// Sets `config`'s record logger from --log-format text|json and --log-level
/// debug|info|warning|error (or DISCORD_LOG_FORMAT, DISCORD_LOG_LEVEL): off when neither is
/// given; either alone turns logs on (text, info). Throws usage_error for other values.
void configure_logging(const arguments& args, const environment& env, oauth2::client_config& config);

} // namespace cli
