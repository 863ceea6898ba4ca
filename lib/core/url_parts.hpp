// The parts of an absolute http(s) URL that the library needs: no normalisation, no guessing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::url {

struct parts {
    std::string scheme;             ///< "http" or "https", lower case
    std::string host;               ///< as written; IPv6 without brackets
    std::optional<std::uint16_t> port;
    std::string path = "/";         ///< undecoded; "/" when empty
    std::string query;              ///< undecoded, without '?'
    std::string fragment;           ///< without '#'

    [[nodiscard]] std::uint16_t effective_port() const noexcept { return port ? *port : scheme == "https" ? 443 : 80; }
    /// The host is `localhost` or a loopback address (127.0.0.0/8, ::1), parsed as an address.
    [[nodiscard]] bool on_loopback() const noexcept;
};

/// nullopt unless `text` is an absolute http or https URL with a host (and a valid port).
[[nodiscard]] std::optional<parts> split(std::string_view text);

} // namespace discord::oauth2::url
