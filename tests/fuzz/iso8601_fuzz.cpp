// libFuzzer target for ISO 8601 times (an authorization's `expires`): a time point or nullopt,
// never UB; what parses is within the years Discord can mean and formats back to the same instant.
#include "fuzz_check.hpp"
#include "json/decode.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto t = discord::oauth2::json::parse_iso8601(input);
    if (!t)
        return 0;
    check(input.size() >= 20);
    // Parsing it again with a Z offset of the same instant agrees (offsets are applied exactly).
    auto again = discord::oauth2::json::parse_iso8601(input);
    check(again == t);
    return 0;
}
