#include "log_lines.hpp"

#include "line_writer.hpp"

#include "json/writer.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <memory>
#include <variant>

namespace cli {
namespace {

using oauth2::json::writer;

// The name a field is written under: never one of the record's own keys.
std::string field_name(std::string_view name)
{
    if (name == "time" || name == "level" || name == "message")
        return "field_" + std::string(name);
    return std::string(name);
}

// RFC 3339 in UTC with milliseconds: lines a second apart are ordered by more than their order.
std::string timestamp(std::chrono::system_clock::time_point time)
{
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    auto seconds = static_cast<std::time_t>(since / 1000);
    auto ms = since % 1000;
    if (ms < 0) {
        ms += 1000;
        --seconds;
    }
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:03}Z", text, ms);
}

} // namespace

std::string log_line_json(const oauth2::log_record& record, std::chrono::system_clock::time_point time)
{
    writer w;
    w.begin_object()
        .field("time", timestamp(time))
        .field("level", oauth2::to_string(record.level))
        .field("message", record.message);
    for (const auto& f : record.fields) {
        w.key(field_name(f.name));
        std::visit([&](const auto& v) { w.value(v); }, f.value);
    }
    w.end_object();
    return w.take();
}

std::string log_line_text(const oauth2::log_record& record)
{
    std::string line(oauth2::to_string(record.level));
    line += ": ";
    for (char c : record.message) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            line += fmt::format("\\x{:02x}", byte);
        else
            line += c;
    }
    return line;
}

oauth2::record_logger log_writer(int fd, bool json, oauth2::log_level least)
{
    auto out = std::make_shared<line_writer>(fd, 256 * 1024, [json](std::uint64_t dropped) {
        std::array<oauth2::log_field, 1> fields{{{"dropped", static_cast<std::int64_t>(dropped)}}};
        oauth2::log_record notice{oauth2::log_level::warning, "log lines were dropped: stderr was not read", fields};
        return json ? log_line_json(notice, std::chrono::system_clock::now()) : log_line_text(notice);
    });
    return [json, least, out](const oauth2::log_record& record) {
        if (record.level < least)
            return;
        try {
            out->write(json ? log_line_json(record, std::chrono::system_clock::now()) : log_line_text(record));
        } catch (...) {
            // A log line that cannot be made (out of memory) is not worth the operation.
        }
    };
}

} // namespace cli
