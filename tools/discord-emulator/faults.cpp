#include "faults.hpp"

#include <discord/oauth2/error.hpp>

#include "json/writer.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <vector>

namespace discord::oauth2::emulator {
namespace {

[[noreturn]] void bad(std::string_view spec, std::string_view why)
{
    throw error(errc::invalid_argument,
                fmt::format("fault '{}': {}; write METHOD PATH KIND [every=N] [probability=P], e.g. "
                            "'POST /oauth2/token reset-after every=2'",
                            spec, why));
}

template <class T>
T number(std::string_view spec, std::string_view text)
{
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        bad(spec, fmt::format("'{}' is not a number", text));
    return v;
}

} // namespace

std::string without_field(const std::string& body, std::string_view field)
{
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(simdjson::padded_string(body)).get(object))
        return body; // not an object: nothing to drop
    json::writer w;
    w.begin_object();
    for (auto [key, value] : object)
        if (key != field)
            w.key(key).raw(simdjson::minify(value));
    w.end_object();
    return w.take();
}

std::string_view without_api_prefix(std::string_view pattern)
{
    for (std::string_view prefix : {"/api/v10/", "/api/v9/", "/api/"})
        if (pattern.starts_with(prefix))
            return pattern.substr(prefix.size() - 1);
    return pattern;
}

fault fault::parse(std::string_view spec)
{
    std::vector<std::string_view> words;
    for (std::string_view rest = spec; !rest.empty();) {
        auto space = rest.find(' ');
        if (auto w = rest.substr(0, space); !w.empty())
            words.push_back(w);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    }
    if (words.size() < 3)
        bad(spec, "it needs a method, a path and a kind");
    fault f;
    f.method = std::string(words[0]);
    f.path = std::string(words[1]);
    if (f.path != "*" && !f.path.starts_with('/'))
        bad(spec, "the path must start with '/' or be '*'");

    auto kind = words[2];
    if (kind.starts_with("latency=")) {
        f.what = kind::latency;
        f.latency = std::chrono::milliseconds(number<long>(spec, kind.substr(8)));
    } else if (kind.starts_with("status=")) {
        f.what = kind::status;
        f.status = number<int>(spec, kind.substr(7));
        if (f.status < 400 || f.status > 599)
            bad(spec, "the status must be from 400 to 599");
    } else if (kind == "reset-before") {
        f.what = kind::reset_before;
    } else if (kind == "reset-after") {
        f.what = kind::reset_after;
    } else if (kind == "truncate") {
        f.what = kind::truncate;
    } else if (kind.starts_with("drop=") && kind.size() > 5) {
        f.what = kind::drop;
        f.field = std::string(kind.substr(5));
    } else {
        bad(spec, fmt::format("unknown kind '{}'", kind));
    }

    for (std::size_t i = 3; i < words.size(); ++i) {
        auto w = words[i];
        if (w.starts_with("every=")) {
            f.every = number<std::uint64_t>(spec, w.substr(6));
            if (f.every == 0)
                bad(spec, "every= must be at least 1");
        } else if (w.starts_with("probability=")) {
            f.probability = number<double>(spec, w.substr(12));
            if (f.probability < 0 || f.probability > 1)
                bad(spec, "probability= must be from 0 to 1");
        } else {
            bad(spec, fmt::format("unknown option '{}'", w));
        }
    }
    return f;
}

bool fault::applies_to(std::string_view m, std::string_view pattern) const
{
    return (method == "*" || method == m) && (path == "*" || path == without_api_prefix(pattern));
}

} // namespace discord::oauth2::emulator
