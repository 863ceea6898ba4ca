#include "log_output.hpp"

#include "line_writer.hpp"
#include "log_lines.hpp"

#include <unistd.h>

#include <array>
#include <optional>

namespace cli {
namespace {

std::optional<oauth2::log_level> level_named(std::string_view name)
{
    for (auto level : {oauth2::log_level::debug, oauth2::log_level::info, oauth2::log_level::warning,
                       oauth2::log_level::error})
        if (name == oauth2::to_string(level))
            return level;
    return std::nullopt;
}

} // namespace

void configure_logging(const arguments& args, const environment& env, oauth2::client_config& config)
{
    auto format = setting(args, env, "log-format");
    auto level_text = setting(args, env, "log-level");
    if (!format && !level_text)
        return;
    if (format && *format != "text" && *format != "json")
        throw usage_error("--log-format takes text or json");
    auto level = level_named(level_text.value_or("info"));
    if (!level)
        throw usage_error("--log-level takes debug, info, warning or error");
    bool json = format && *format == "json";
    // Through a bounded queue a thread of its own writes: a log reader that stalls (a full pipe,
    // a stuck journald) costs log lines, counted in the line that follows, never the I/O thread.
    auto out = std::make_shared<line_writer>(STDERR_FILENO, 256 * 1024, [json](std::uint64_t dropped) {
        std::array<oauth2::log_field, 1> fields{{{"dropped", static_cast<std::int64_t>(dropped)}}};
        oauth2::log_record notice{oauth2::log_level::warning, "log lines were dropped: stderr was not read", fields};
        return json ? log_line_json(notice, std::chrono::system_clock::now()) : log_line_text(notice);
    });
    config.log_records = [json, least = *level, out](const oauth2::log_record& record) {
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
