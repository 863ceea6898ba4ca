// Percent-encoding as URLs and application/x-www-form-urlencoded bodies use it.
// Decoding is strict: a '%' not followed by two hex digits, or a decoded NUL, is an error,
// because every such input reaching us comes from the network and may be hostile.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace discord::oauth2::url {

using parameters = std::vector<std::pair<std::string, std::string>>;

/// A name and a value to encode, as views: a form of credentials is encoded from where they are,
/// with no copy of its own to wipe.
using field_view = std::pair<std::string_view, std::string_view>;

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`). nullopt on a malformed
/// escape or an encoded NUL.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

/// Splits `a=1&b=2` into decoded pairs, in order, duplicates kept. Empty segments are skipped;
/// a name without '=' gets an empty value. nullopt when any part fails to decode.
[[nodiscard]] std::optional<parameters> parse_query(std::string_view query);

/// The decoded value of the first parameter named `name` in `query`, as parse_query would give
/// it; nullopt when there is none or its value fails to decode. Only what it needs is decoded:
/// the other parameters are not checked.
[[nodiscard]] std::optional<std::string> query_value(std::string_view query, std::string_view name);

/// Encodes every byte outside RFC 3986's unreserved set (ALPHA DIGIT - . _ ~) as %XX.
[[nodiscard]] std::string percent_encode(std::string_view text);

/// `a=1&b=2` with both sides percent-encoded: a URL query or a form body.
[[nodiscard]] std::string encode_query(const parameters& params);
[[nodiscard]] std::string encode_query(std::span<const field_view> params);

} // namespace discord::oauth2::url
