// libFuzzer target for the URL helpers every callback goes through: splitting an absolute URL,
// parsing and percent-decoding a query, the loopback test. Properties: percent-encoding round
// trips; a split URL's parts hold no byte that would let them mean another URL.
#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
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
    if (auto params = url::parse_query(input))
        check(url::parse_query(url::encode_query(*params)) == params);
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
