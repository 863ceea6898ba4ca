#include "core/url_parts.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include <arpa/inet.h>

namespace discord::oauth2::url {

bool parts::on_loopback() const noexcept
{
    // An address, parsed strictly (inet_pton: four decimal parts), never a prefix of a name:
    // "127.evil.example" is a host name anyone can point anywhere.
    if (host.size() == 9 && std::equal(host.begin(), host.end(), "localhost",
                                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
        return true;
    unsigned char bytes[16];
    if (::inet_pton(AF_INET, host.c_str(), bytes) == 1)
        return bytes[0] == 127;
    if (::inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
        static constexpr unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return std::equal(std::begin(bytes), std::end(bytes), std::begin(loopback));
    }
    return false;
}

std::optional<parts> split(std::string_view text)
{
    auto colon = text.find("://");
    if (colon == std::string_view::npos)
        return std::nullopt;
    parts p;
    p.scheme = std::string(text.substr(0, colon));
    std::transform(p.scheme.begin(), p.scheme.end(), p.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (p.scheme != "http" && p.scheme != "https")
        return std::nullopt;
    auto rest = text.substr(colon + 3);
    auto authority_end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, authority_end);
    rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos)
        return std::nullopt; // user info has no place in the URLs we handle
    std::string_view port_text;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        p.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return std::nullopt;
            port_text = after.substr(1);
        }
    } else {
        auto c = authority.rfind(':');
        p.host = std::string(authority.substr(0, c));
        if (c != std::string_view::npos)
            port_text = authority.substr(c + 1);
    }
    if (p.host.empty())
        return std::nullopt;
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
            return std::nullopt;
        p.port = static_cast<std::uint16_t>(value);
    }
    if (auto hash = rest.find('#'); hash != std::string_view::npos) {
        p.fragment = std::string(rest.substr(hash + 1));
        rest = rest.substr(0, hash);
    }
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        p.query = std::string(rest.substr(q + 1));
        rest = rest.substr(0, q);
    }
    if (!rest.empty())
        p.path = std::string(rest);
    return p;
}

} // namespace discord::oauth2::url
