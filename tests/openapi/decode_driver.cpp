// The library's decoders behind a line protocol, for decode_variants.mjs: each input line is
// "DECODER<TAB>JSON"; each output line is "ok", "invalid_response<TAB>MESSAGE" or
// "other<TAB>MESSAGE" (any other failure, which the generator counts as a mismatch).
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace json = discord::oauth2::json;
using discord::oauth2::errc;
using discord::oauth2::http::padded_buffer;

namespace {

void decode(std::string_view decoder, const padded_buffer& body)
{
    if (decoder == "user") (void)json::decode_user(body);
    else if (decoder == "partial_guilds") (void)json::decode_partial_guilds(body);
    else if (decoder == "guild_member") (void)json::decode_guild_member(body);
    else if (decoder == "connections") (void)json::decode_connections(body);
    else if (decoder == "authorization_info") (void)json::decode_authorization_info(body);
    else if (decoder == "application") (void)json::decode_application(body);
    else if (decoder == "role_connection") (void)json::decode_role_connection(body);
    else if (decoder == "role_connection_metadata") (void)json::decode_role_connection_metadata(body);
    else if (decoder == "api_error") (void)json::decode_api_error(body);
    else if (decoder == "rate_limit") (void)json::decode_rate_limit(body);
    else if (decoder == "oauth_error") (void)json::decode_oauth_error(body);
    else if (decoder == "access_token") (void)json::decode_access_token(body, std::chrono::system_clock::now());
    else if (decoder == "command_permissions_list") (void)json::decode_guild_command_permissions_list(body);
    else if (decoder == "private_channel") (void)json::decode_private_channel(body);
    else if (decoder == "openid_userinfo") (void)json::decode_openid_userinfo(body);
    else throw std::invalid_argument("no decoder named " + std::string(decoder));
}

} // namespace

int main()
{
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        auto tab = line.find('\t');
        if (tab == std::string::npos) {
            std::cout << "other\tno tab in the line\n";
            continue;
        }
        padded_buffer body;
        body.append(line.data() + tab + 1, line.size() - tab - 1);
        try {
            decode(std::string_view(line).substr(0, tab), body);
            std::cout << "ok\n";
        } catch (const discord::oauth2::error& e) {
            std::cout << (e.code() == errc::invalid_response ? "invalid_response\t" : "other\t") << e.what() << '\n';
        } catch (const std::exception& e) {
            std::cout << "other\t" << e.what() << '\n';
        }
    }
    return 0;
}
