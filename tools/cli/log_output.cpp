#include "log_output.hpp"

#include "log_lines.hpp"

#include <cstdio>
#include <mutex>
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

// One write a line: lines of several threads never interleave, and a line is never split.
void write_line(std::string line)
{
    static std::mutex mutex;
    line += '\n';
    std::lock_guard lock(mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
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
    config.log_records = [json, least = *level](const oauth2::log_record& record) {
        if (record.level < least)
            return;
        try {
            write_line(json ? log_line_json(record, std::chrono::system_clock::now()) : log_line_text(record));
        } catch (...) {
            // A log line that cannot be made (out of memory) is not worth the operation.
        }
    };
}

} // namespace cli
