// libFuzzer target for base64 and base64url: decoding is canonical (one text per value, so a
// state or a tag cannot be re-spelt), and both round-trip.
#include "core/base64.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace base64 = discord::oauth2::base64;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<const char*>(data), size);
    check(base64::decode(base64::encode(input)) == input);
    check(base64::decode_url(base64::encode_url(input)) == input);
    if (auto bytes = base64::decode(input))
        check(base64::encode(*bytes) == input);
    if (auto bytes = base64::decode_url(input))
        check(base64::encode_url(*bytes) == input);
    return 0;
}
