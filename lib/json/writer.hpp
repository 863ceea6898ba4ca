// A small streaming JSON writer: objects, arrays, strings (escaped, always valid UTF-8 out),
// integers, booleans and null. Used for the emulator's responses and, later, request bodies.
//
//   json::writer w;
//   w.begin_object().key("id").value("80351110224678912").key("verified").value(true).end_object();
//   std::string body = w.take();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2::json {

class writer {
public:
    writer& begin_object();
    writer& end_object();
    writer& begin_array();
    writer& end_array();
    /// The next value's name; only inside an object.
    writer& key(std::string_view name);

    writer& value(std::string_view text);
    writer& value(const char* text) { return value(std::string_view(text)); }
    writer& value(const std::string& text) { return value(std::string_view(text)); }
    writer& value(bool b);
    writer& value(std::int64_t n);
    writer& value(std::uint64_t n);
    writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
    writer& value(double d);
    writer& null();
    /// A string, or null when empty.
    writer& value_or_null(const std::optional<std::string>& text);
    /// Inserts `json` as it is: it must be one complete JSON value.
    writer& raw(std::string_view json);

    /// Shorthand for key(name).value(v).
    template <class T>
    writer& field(std::string_view name, const T& v)
    {
        key(name);
        return value(v);
    }

    [[nodiscard]] const std::string& str() const noexcept { return out_; }
    [[nodiscard]] std::string take() { return std::move(out_); }

private:
    void before_value();

    std::string out_;
    std::vector<bool> first_; // per open container: no element written yet
    bool after_key_ = false;
};

/// `text` as a JSON string literal, quotes included. Invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string quote(std::string_view text);

} // namespace discord::oauth2::json
