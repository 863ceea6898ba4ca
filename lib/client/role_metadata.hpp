// An application's role connection metadata records on their way to Discord: Discord's limits
// checked before a request is sent, and the records written as the PUT body.
#pragma once

#include <discord/oauth2/application.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2::rest {

/// Whether `locale` is one of Discord's locales ("en-US", "pt-BR", "ja", ...).
[[nodiscard]] bool is_discord_locale(std::string_view locale) noexcept;

/// Throws `error` (invalid_argument) naming the record and field that Discord would refuse: more
/// than 5 records, a type outside 1..8, a key not of 1 to 50 of [a-z0-9_] or used twice, a name
/// not of 1 to 100 or a description not of 1 to 200 characters, a localization for an unknown
/// locale or of the wrong length.
void check_role_connection_metadata(const std::vector<role_connection_metadata>& records);

/// The records as Discord's PUT body: a JSON array.
[[nodiscard]] std::string role_connection_metadata_json(const std::vector<role_connection_metadata>& records);

} // namespace discord::oauth2::rest
