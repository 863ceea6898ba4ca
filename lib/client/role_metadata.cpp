#include "client/role_metadata.hpp"

#include "core/utf8.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

namespace discord::oauth2::rest {
namespace {

// Discord's locales (its spec's AvailableLocalesEnum), sorted for binary search.
constexpr std::array<std::string_view, 34> locales{
    "ar", "bg", "cs", "da", "de", "el", "en-GB", "en-US", "es-419", "es-ES", "fi", "fr", "he", "hi", "hr", "hu", "id",
    "it", "ja", "ko", "lt", "nl", "no", "pl", "pt-BR", "ro", "ru", "sv-SE", "th", "tr", "uk", "vi", "zh-CN", "zh-TW"};

[[noreturn]] void refuse(std::size_t index, std::string_view what)
{
    throw error(errc::invalid_argument, fmt::format("role connection metadata[{}]: {}", index, what));
}

void check_length(std::size_t index, std::string_view field, std::string_view text, std::size_t most)
{
    auto n = utf8::characters(text);
    if (n < 1 || n > most)
        refuse(index, fmt::format("{} must be 1 to {} characters, not {}", field, most, n));
}

void check_localizations(std::size_t index, std::string_view field, const std::map<std::string, std::string>& texts,
                         std::size_t most)
{
    for (const auto& [locale, text] : texts) {
        if (!is_discord_locale(locale))
            refuse(index, fmt::format("{} has '{}', which is not one of Discord's locales", field, locale));
        check_length(index, fmt::format("{}.{}", field, locale), text, most);
    }
}

} // namespace

bool is_discord_locale(std::string_view locale) noexcept
{
    static_assert(std::is_sorted(locales.begin(), locales.end()));
    return std::binary_search(locales.begin(), locales.end(), locale);
}

void check_role_connection_metadata(const std::vector<role_connection_metadata>& records)
{
    if (records.size() > 5)
        throw error(errc::invalid_argument,
                    fmt::format("role connection metadata: at most 5 records, not {}", records.size()));
    std::set<std::string_view> keys;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        auto type = static_cast<int>(r.type);
        if (type < 1 || type > 8)
            refuse(i, fmt::format("type must be 1 to 8, not {}", type));
        if (r.key.empty() || r.key.size() > 50
            || r.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            refuse(i, fmt::format("key '{}' is not 1 to 50 of a-z, 0-9 and _", r.key));
        if (!keys.insert(r.key).second)
            refuse(i, fmt::format("key '{}' is used by an earlier record", r.key));
        check_length(i, "name", r.name, 100);
        check_length(i, "description", r.description, 200);
        check_localizations(i, "name_localizations", r.name_localizations, 100);
        check_localizations(i, "description_localizations", r.description_localizations, 200);
    }
}

std::string role_connection_metadata_json(const std::vector<role_connection_metadata>& records)
{
    json::writer w;
    w.begin_array();
    for (const auto& r : records) {
        w.begin_object()
            .field("type", static_cast<int>(r.type))
            .field("key", r.key)
            .field("name", r.name)
            .field("description", r.description);
        auto localizations = [&](std::string_view name, const std::map<std::string, std::string>& texts) {
            if (texts.empty())
                return;
            w.key(name).begin_object();
            for (const auto& [locale, text] : texts)
                w.field(locale, text);
            w.end_object();
        };
        localizations("name_localizations", r.name_localizations);
        localizations("description_localizations", r.description_localizations);
        w.end_object();
    }
    w.end_array();
    return w.take();
}

} // namespace discord::oauth2::rest
