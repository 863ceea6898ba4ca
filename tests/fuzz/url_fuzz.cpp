// libFuzzer target for the URL helpers every callback goes through: splitting an absolute URL,
// parsing and percent-decoding a query (whole, or one parameter's value), the loopback test.
// Properties: percent-encoding round trips; one parameter's value is the whole parse's; a split
// URL's parts hold no byte that would let them mean another URL.
#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace url = discord::oauth2::url;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // NUL never decodes (an encoded NUL is refused): the round trip holds for everything else.
    if (input.find('\0') == std::string_view::npos)
        check(url::percent_decode(url::percent_encode(input)) == input);
    if (auto decoded = url::percent_decode(input))
        check(decoded->size() <= input.size());
    if (auto params = url::parse_query(input)) {
        check(url::parse_query(url::encode_query(*params)) == params);
        // Where the whole query decodes, query_value (which decodes only what it needs) finds
        // what parse_query finds: the first value of the name.
        for (std::string_view name : {"state", "code", ""}) {
            std::optional<std::string> first;
            for (const auto& [n, v] : *params)
                if (n == name) {
                    first = v;
                    break;
                }
            check(url::query_value(input, name) == first);
        }
        if (!params->empty())
            check(url::query_value(input, params->front().first) == params->front().second);
    }
    if (auto parts = url::split(input)) {
        check(parts->scheme == "http" || parts->scheme == "https");
        check(!parts->host.empty());
        check(parts->host.find_first_of("/?#@") == std::string::npos);
        check(!parts->port || *parts->port != 0);
        check(parts->query.find('#') == std::string::npos);
        (void)parts->on_loopback();
    }
    return 0;
}
