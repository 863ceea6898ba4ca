#include "log_output.hpp"

#include "log_lines.hpp"

#include <unistd.h>

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
    config.log_records = log_writer(STDERR_FILENO, format && *format == "json", *level);
}

} // namespace cli
