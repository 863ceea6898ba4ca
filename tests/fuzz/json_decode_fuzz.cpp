// libFuzzer target for every decoder of Discord's JSON: the first byte picks the decoder, the
// rest is the body. Whatever arrives (deep nesting, huge numbers, broken UTF-8 escapes), a
// decoder returns a model or throws invalid_response; nothing else.
#include "fuzz_check.hpp"
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <cstddef>
#include <cstdint>

namespace oauth2 = discord::oauth2;
namespace json = discord::oauth2::json;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    discord::oauth2::http::padded_buffer body;
    body.append(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 23) {
        case 0: (void)json::decode_user(body); break;
        case 1: (void)json::decode_connections(body); break;
        case 2: (void)json::decode_partial_guild(body); break;
        case 3: (void)json::decode_partial_guilds(body); break;
        case 4: (void)json::decode_guild_member(body); break;
        case 5: (void)json::decode_guild(body); break;
        case 6: (void)json::decode_authorization_info(body); break;
        case 7: (void)json::decode_role_connection(body); break;
        case 8: {
            auto t = json::decode_access_token(body, std::chrono::system_clock::now());
            check(!t.token.empty());
            break;
        }
        case 9: (void)json::decode_oauth_error(body); break;
        case 10: (void)json::decode_api_error(body); break;
        case 11: (void)json::decode_rate_limit(body); break;
        case 12: (void)json::decode_issuer_metadata(body); break;
        case 13: (void)json::decode_role_connection_metadata(body); break;
        case 14: {
            auto d = json::decode_device_authorization(body, std::chrono::system_clock::now());
            check(!d.device_code.empty() && d.expires_in.count() > 0);
            break;
        }
        case 16: (void)json::decode_guild_command_permissions(body); break;
        case 17: (void)json::decode_guild_command_permissions_list(body); break;
        case 18: {
            auto c = json::decode_private_channel(body);
            check(c.type != oauth2::channel_type::group_dm || c.owner_id.has_value());
            break;
        }
        case 19: (void)json::decode_jose_header(body); break;
        case 20: (void)json::decode_jwks(body); break;
        case 21: {
            // aud is required: a decoded token always names at least one audience.
            auto c = json::decode_id_token_claims(body);
            check(!c.audience.empty());
            break;
        }
        case 22: (void)json::decode_openid_userinfo(body); break;
        default: (void)json::parse_iso8601(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1)); break;
        }
    } catch (const oauth2::error& e) {
        check(e.code() == oauth2::errc::invalid_response);
    }
    return 0;
}
