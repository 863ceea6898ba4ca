// The command line of discord-oauth2, split into a command and its options, before any of it
// is interpreted. Options are `--name VALUE`, `--name=VALUE`, flags (`--all`), and lists that
// take every following word up to the next option (`--scope identify email`).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

/// A mistake in how the program was called: exit status 2 and the usage text.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class option_kind { value, list, flag };

struct option_spec {
    std::string_view name; ///< without the leading "--"
    option_kind kind;
};

struct arguments {
    std::vector<std::string> words;                               ///< the command and its operands
    std::map<std::string, std::vector<std::string>, std::less<>> options; ///< flags map to {}

    [[nodiscard]] bool has(std::string_view name) const { return options.contains(name); }
    /// The value of a single-valued option, if given.
    [[nodiscard]] std::optional<std::string> value(std::string_view name) const;
    /// The values of a list option (each word also split at spaces and commas).
    [[nodiscard]] std::vector<std::string> list(std::string_view name) const;
    /// The values of a list option as given, one a word, not split (for values with spaces).
    [[nodiscard]] std::vector<std::string> words_of(std::string_view name) const;
};

/// Splits `args` (without the program name). Throws usage_error for an option not in `known`,
/// a missing value, or an option given twice that is not a list.
[[nodiscard]] arguments parse_arguments(const std::vector<std::string>& args, const std::vector<option_spec>& known);

} // namespace cli
