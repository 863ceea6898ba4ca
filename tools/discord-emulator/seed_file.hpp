// The emulator's world from a JSON file (--seed FILE). The format is in docs/emulator.md.
#pragma once

#include "model.hpp"

#include <string>
#include <string_view>

namespace discord::oauth2::emulator {

/// Throws `error` (invalid_argument) naming the field that is missing, mistyped or dangling.
seed parse_seed(std::string_view json);
seed load_seed(const std::string& path);

/// A snowflake's decimal text as Discord writes it; nullopt for anything else.
std::optional<snowflake> parse_snowflake(std::string_view text);

} // namespace discord::oauth2::emulator
