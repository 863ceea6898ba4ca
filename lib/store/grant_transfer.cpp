#include <discord/oauth2/grant_transfer.hpp>

#include "core/aead.hpp"
#include "core/base64.hpp"
#include "core/key_id.hpp"
#include "json/writer.hpp"
#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

namespace discord::oauth2 {
namespace {

constexpr std::string_view format_name = "discord-oauth2 grants";

// Version 1 binds each token to its user; version 2 to its user and the key id the export names.
std::string aad_for(std::uint64_t user, std::optional<std::uint32_t> key_id = std::nullopt)
{
    std::string aad = "export";
    for (int i = 7; i >= 0; --i)
        aad.push_back(static_cast<char>((user >> (i * 8)) & 0xFF));
    if (key_id)
        aad += core::key_id_bytes(*key_id);
    return aad;
}

[[noreturn]] void not_an_export(std::string_view why)
{
    throw error(errc::invalid_argument, fmt::format("this is not a grants export: {}", why));
}

} // namespace

asio::awaitable<std::string> export_grants(token_store& store, store_key_ring keys)
{
    const auto& key = keys.current();
    json::writer w;
    w.begin_object().field("format", format_name).field("version", 2).field("key_id", key.id_text()).key("grants").begin_array();
    auto users = co_await store.list();
    for (auto user : users) {
        auto grant = co_await store.load(user);
        if (!grant)
            continue; // erased meanwhile
        auto plain = store::encode_token(grant->token);
        auto sealed = aead::seal(key.bytes().reveal(), plain, aad_for(user.value(), key.id()));
        std::fill(plain.begin(), plain.end(), '\0');
        w.begin_object()
            .field("user_id", user.to_string())
            .field("expires_at", static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     grant->token.expires_at.time_since_epoch()).count()))
            .field("refresh_in_flight", grant->refresh_in_flight)
            .field("needs_reauthorization", grant->needs_reauthorization)
            .field("sealed", base64::encode_url(sealed))
            .end_object();
    }
    w.end_array().end_object();
    co_return w.take();
}

asio::awaitable<std::size_t> import_grants(token_store& store, store_key_ring keys, std::string_view document)
{
    // Everything is opened first: an import either saves every grant or none.
    std::vector<stored_grant> grants;
    {
        simdjson::dom::parser parser;
        simdjson::padded_string padded(document);
        auto root = parser.parse(padded);
        if (root.error())
            not_an_export("it is not JSON");
        std::string_view name;
        if (root["format"].get(name) || name != format_name)
            not_an_export("its \"format\" is not \"discord-oauth2 grants\"");
        int64_t version = 0;
        if (root["version"].get(version) || (version != 1 && version != 2))
            not_an_export("its version is not 1 or 2");
        // Version 2 names the key its tokens are sealed under; version 1 (before key ids) is
        // opened with whichever key of the ring opens it.
        std::optional<std::uint32_t> key_id;
        const store_key* named = nullptr;
        if (version == 2) {
            std::string_view id_text;
            std::uint32_t id = 0;
            if (root["key_id"].get(id_text) || id_text.size() != 8
                || std::from_chars(id_text.data(), id_text.data() + 8, id, 16).ptr != id_text.data() + 8)
                not_an_export("its \"key_id\" is not 8 hexadecimal digits");
            named = keys.find(id);
            if (!named)
                throw error(errc::wrong_store_key,
                            fmt::format("this export is sealed under store key {}, which the ring lacks (it holds {}): "
                                        "give the key it was exported with",
                                        key_id_text(id), keys.ids_text()));
            key_id = id;
        }
        simdjson::dom::array list;
        if (root["grants"].get(list))
            not_an_export("it has no \"grants\" array");
        std::size_t opened = 0;
        std::optional<std::uint64_t> first_failure;
        for (auto item : list) {
            std::string_view id_text, sealed_text;
            bool in_flight = false, reauth = false;
            if (item["user_id"].get(id_text) || item["sealed"].get(sealed_text)
                || item["refresh_in_flight"].get(in_flight) || item["needs_reauthorization"].get(reauth))
                not_an_export("a grant lacks user_id, sealed or its flags");
            auto user = snowflake::parse(id_text);
            if (!user)
                not_an_export("a grant's user_id is not a snowflake");
            auto sealed = base64::decode_url(sealed_text);
            std::optional<std::string> plain;
            if (sealed && named)
                plain = aead::open(named->bytes().reveal(), *sealed, aad_for(user->value(), key_id));
            for (std::size_t k = 0; sealed && !named && !plain && k < keys.keys().size(); ++k)
                plain = aead::open(keys.keys()[k].bytes().reveal(), *sealed, aad_for(user->value()));
            if (!plain) {
                if (!first_failure)
                    first_failure = user->value();
                continue;
            }
            stored_grant g;
            g.user_id = *user;
            g.token = store::decode_token(*plain);
            g.refresh_in_flight = in_flight;
            g.needs_reauthorization = reauth;
            grants.push_back(std::move(g));
            ++opened;
        }
        if (first_failure) {
            if (opened == 0)
                throw error(errc::wrong_store_key,
                            "no grant of this export opens with this key: it was exported with another one");
            throw error(errc::grant_altered,
                        fmt::format("the exported grant of user {} does not open: it was altered or moved; nothing "
                                    "was imported",
                                    *first_failure));
        }
    }
    for (auto& g : grants)
        co_await store.save(std::move(g));
    co_return grants.size();
}

} // namespace discord::oauth2
