// libFuzzer target for Discord's webhook event requests: the first byte picks the part, the rest
// is the input. A well-signed body is read by decode_webhook; what the instances of a bot share
// is read again by application_event_from. Whatever arrives, each returns a payload or throws
// the library's error (invalid_argument), nothing else; and an unsigned request is never read.
#include "fuzz_check.hpp"
#include "json/webhook_event.hpp"
#include "web/webhook_requests.hpp"

#include <discord/oauth2/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace oauth2 = discord::oauth2;
namespace json = discord::oauth2::json;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 3) {
        case 0: {
            auto p = json::decode_webhook(input);
            check(p.type != 1 || p.event.has_value());
            break;
        }
        case 1: {
            oauth2::snowflake user;
            (void)json::application_event_from("APPLICATION_AUTHORIZED", std::chrono::system_clock::now(), input, user);
            (void)json::application_event_from("ENTITLEMENT_UPDATE", std::chrono::system_clock::now(), input, user);
            break;
        }
        default: {
            // The input as the headers and body of a request checked against a key nobody holds
            // the private half of: never taken.
            auto key = *oauth2::ed25519::parse_public_key(std::string(64, 'b'));
            auto cut = input.find('\n');
            auto headers = input.substr(0, cut == std::string::npos ? 0 : cut);
            auto body = cut == std::string::npos ? input : input.substr(cut + 1);
            auto v = oauth2::web::check_webhook(key, std::chrono::seconds(300), 65536, headers.substr(0, 128),
                                                headers.size() > 128 ? headers.substr(128) : std::string("1"), body,
                                                std::chrono::system_clock::now());
            check(v.status != 204 && !v.payload);
            break;
        }
        }
    } catch (const oauth2::error& e) {
        check(e.code() == oauth2::errc::invalid_argument);
    }
    return 0;
}
