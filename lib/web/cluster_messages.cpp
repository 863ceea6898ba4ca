#include "web/cluster_messages.hpp"

#include "core/base64.hpp"
#include "core/mac.hpp"
#include "core/url_encoding.hpp"
#include "core/utf8.hpp"
#include "json/webhook_event.hpp"

#include <discord/oauth2/error.hpp>

#include <charconv>
#include <chrono>

namespace discord::oauth2::web {
namespace {

// Descriptions and messages are for people; a few hundred bytes say it all, and a NOTIFY
// payload must stay under 8,000 bytes.
constexpr std::size_t max_text = 1000;
// Times past the year 2200 are refused before they become nanoseconds: system_clock counts
// nanoseconds in 64 bits, which end in 2262.
constexpr std::int64_t max_seconds = 7'258'118'400;
// A webhook event's data that still fits a message once percent-encoded (decode_message takes
// 8,000 characters; JSON's punctuation triples).
constexpr std::size_t max_application_data = 2000;

std::string bounded(std::string_view text)
{
    return std::string(utf8::prefix(text, max_text));
}

// Only our own codes cross instances; another category's code arrives as its message alone.
std::string code_of(const std::error_code& c)
{
    return c && c.category() == error_category() ? std::to_string(c.value()) : "0";
}

template <class T>
std::optional<T> number(std::string_view text)
{
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::optional<std::error_code> code_from(std::string_view text)
{
    auto n = number<int>(text);
    if (!n || *n < 0 || *n > static_cast<int>(errc::store_failed))
        return std::nullopt;
    if (*n == 0)
        return std::error_code{};
    return make_error_code(static_cast<errc>(*n));
}

std::string seconds(std::chrono::system_clock::time_point t)
{
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

} // namespace

std::string cluster_nonce(std::string_view raw_nonce)
{
    return base64::encode_url(raw_nonce);
}

std::string encode_message(const settled_message& m)
{
    url::parameters p{
        {"t", "settled"},
        {"n", m.nonce},
        {"u", std::to_string(m.user.value())},
        {"o", std::to_string(static_cast<int>(m.outcome))},
        {"c", code_of(m.code)},
        {"d", bounded(m.description)},
        {"ps", std::to_string(m.page.status)},
        {"pk", std::to_string(static_cast<int>(m.page.kind))},
        {"pt", bounded(m.page.title)},
        {"pm", bounded(m.page.message)},
    };
    return url::encode_query(p);
}

std::string encode_message(const event& e)
{
    url::parameters p{
        {"t", "event"},
        {"k", std::to_string(static_cast<int>(e.kind))},
        {"u", std::to_string(e.user_id.value())},
        {"w", bounded(e.where)},
        {"c", code_of(e.code)},
        {"m", bounded(e.message)},
    };
    if (e.claims) {
        p.emplace_back("cu", std::to_string(e.claims->user_id.value()));
        p.emplace_back("ci", seconds(e.claims->issued_at));
        p.emplace_back("ce", seconds(e.claims->expires_at));
        p.emplace_back("cf", e.claims->flow);
    }
    if (e.application) {
        // The event's type, time and data, which the receiver reads again as Discord's; data too
        // large for a message is left out (the type and the user still go).
        p.emplace_back("at", bounded(e.application->type));
        p.emplace_back("as", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                e.application->timestamp.time_since_epoch()).count()));
        if (e.application->data_json.size() <= max_application_data)
            p.emplace_back("ad", e.application->data_json);
    }
    return url::encode_query(p);
}

std::optional<std::variant<settled_message, event>> decode_message(std::string_view text)
{
    if (text.size() > 8000)
        return std::nullopt;
    auto params = url::parse_query(text);
    if (!params)
        return std::nullopt;
    auto get = [&](std::string_view name) -> std::optional<std::string_view> {
        for (const auto& [k, v] : *params)
            if (k == name)
                return std::string_view(v);
        return std::nullopt;
    };
    auto type = get("t");
    auto user = number<std::uint64_t>(get("u").value_or(""));
    auto code = code_from(get("c").value_or(""));
    if (!type || !user || !code)
        return std::nullopt;
    // -1 for a missing or malformed number: out of every range below.
    auto small = [&](std::string_view name) {
        auto text = get(name);
        return text ? number<int>(*text).value_or(-1) : -1;
    };
    if (*type == "settled") {
        auto nonce = get("n");
        int outcome = small("o");
        int status = small("ps");
        int kind = small("pk");
        if (!nonce || outcome < 0 || outcome > static_cast<int>(authorization_outcome::failed) || status < 200 ||
            status > 599 || kind < 0 || kind > static_cast<int>(page_kind::error))
            return std::nullopt;
        auto raw = base64::decode_url(*nonce);
        if (!raw || raw->size() != 16)
            return std::nullopt;
        settled_message m;
        m.nonce = std::string(*nonce);
        m.user = snowflake(*user);
        m.outcome = static_cast<authorization_outcome>(outcome);
        m.code = *code;
        m.description = bounded(get("d").value_or(""));
        m.page.status = status;
        m.page.kind = static_cast<page_kind>(kind);
        m.page.title = bounded(get("pt").value_or(""));
        m.page.message = bounded(get("pm").value_or(""));
        return m;
    }
    if (*type == "event") {
        int kind = small("k");
        // events_missed is each subscriber's own; it never crosses instances.
        if (kind < 0 || kind == static_cast<int>(event_kind::events_missed) || kind > static_cast<int>(event_kind::role_connection_updated))
            return std::nullopt;
        event e;
        e.kind = static_cast<event_kind>(kind);
        e.user_id = snowflake(*user);
        e.where = bounded(get("w").value_or(""));
        e.code = *code;
        e.message = bounded(get("m").value_or(""));
        if (auto cu = get("cu")) {
            auto claim_user = number<std::uint64_t>(*cu);
            auto issued = number<std::int64_t>(get("ci").value_or(""));
            auto expires = number<std::int64_t>(get("ce").value_or(""));
            auto flow = get("cf").value_or("");
            if (!claim_user || !issued || !expires || flow.size() > 32 || *issued < 0 || *issued > max_seconds
                || *expires < 0 || *expires > max_seconds)
                return std::nullopt;
            state_claims c;
            c.user_id = snowflake(*claim_user);
            c.issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(*issued));
            c.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(*expires));
            c.flow = std::string(flow);
            e.claims = std::move(c);
        }
        if (auto type = get("at")) {
            auto when = number<std::int64_t>(get("as").value_or(""));
            auto data = get("ad").value_or("");
            if (!when || *when < 0 || *when > max_seconds || data.size() > max_application_data)
                return std::nullopt;
            snowflake data_user;
            try {
                e.application = json::application_event_from(bounded(*type),
                                                              std::chrono::system_clock::time_point(std::chrono::seconds(*when)),
                                                              std::string(data), data_user);
            } catch (const error&) {
                return std::nullopt;
            }
        }
        return e;
    }
    return std::nullopt;
}

namespace {

constexpr std::string_view unnamed_key_envelope = "m1.";
constexpr std::string_view envelope_version = "m2.";

// The tag over `signed_part` ("<ms>.<text>") under `key`, the envelope's prefix included.
bool tag_holds(const secret& key, std::string_view prefix, std::string_view signed_part, std::string_view tag)
{
    return mac::verify(key.reveal(), std::string(prefix) + std::string(signed_part), tag);
}

std::int64_t milliseconds(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

} // namespace

message_key::message_key(const state_key_ring& keys)
{
    for (const auto& key : keys.keys())
        keys_.push_back({key.id(), key.id_text(),
                         secret(mac::derive_key(key.bytes().reveal(), "discord-oauth2 cluster messages v1"))});
}

std::string message_key::seal(std::string_view text, std::chrono::system_clock::time_point now) const
{
    const auto& key = keys_.front();
    auto prefix = std::string(envelope_version) + key.id_text + ".";
    auto signed_part = std::to_string(milliseconds(now)) + "." + std::string(text);
    auto tag = mac::tag(key.key.reveal(), prefix + signed_part);
    return prefix + base64::encode_url(tag) + "." + signed_part;
}

std::optional<authenticated_message> message_key::open(std::string_view sealed) const
{
    if (sealed.size() > 8000)
        return std::nullopt;
    std::string_view prefix, rest;
    const derived* named = nullptr;
    if (sealed.starts_with(envelope_version)) {
        // "m2.<8 hex digits>.": the key is the ring's with that id, or the message is dropped.
        if (sealed.size() < envelope_version.size() + 9 || sealed[envelope_version.size() + 8] != '.')
            return std::nullopt;
        prefix = sealed.substr(0, envelope_version.size() + 9);
        auto id_text = sealed.substr(envelope_version.size(), 8);
        for (const auto& key : keys_)
            if (key.id_text == id_text)
                named = &key;
        if (!named)
            return std::nullopt;
    } else if (sealed.starts_with(unnamed_key_envelope)) {
        prefix = sealed.substr(0, unnamed_key_envelope.size());
    } else {
        return std::nullopt;
    }
    rest = sealed.substr(prefix.size());
    auto dot = rest.find('.');
    if (dot == std::string_view::npos)
        return std::nullopt;
    auto tag = base64::decode_url(rest.substr(0, dot));
    auto signed_part = rest.substr(dot + 1);
    if (!tag || tag->size() != mac::tag_size)
        return std::nullopt;
    bool holds = false;
    if (named)
        holds = tag_holds(named->key, prefix, signed_part, *tag);
    for (std::size_t k = 0; !named && !holds && k < keys_.size(); ++k)
        holds = tag_holds(keys_[k].key, prefix, signed_part, *tag);
    if (!holds)
        return std::nullopt;
    auto time_end = signed_part.find('.');
    if (time_end == std::string_view::npos)
        return std::nullopt;
    auto ms = number<std::int64_t>(signed_part.substr(0, time_end));
    if (!ms || *ms < 0 || *ms > max_seconds * 1000)
        return std::nullopt;
    authenticated_message m;
    m.text = std::string(signed_part.substr(time_end + 1));
    m.sent_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
    m.tag = std::move(*tag);
    return m;
}

bool message_replays::first(const authenticated_message& m, std::chrono::system_clock::time_point now)
{
    if (m.sent_at < now - window_ || m.sent_at > now + window_)
        return false;
    std::lock_guard lock(mutex_);
    // Only tags whose window has passed are forgotten: one still inside it could be replayed.
    while (!by_time_.empty() && by_time_.begin()->first < now - window_) {
        seen_.erase(by_time_.begin()->second);
        by_time_.erase(by_time_.begin());
    }
    if (seen_.size() >= capacity_ && !seen_.contains(m.tag))
        return false; // full of live tags: refused (and counted by the caller) rather than one forgotten
    if (!seen_.emplace(m.tag, m.sent_at).second)
        return false;
    by_time_.emplace(m.sent_at, m.tag);
    return true;
}

} // namespace discord::oauth2::web
