// Key files: read only when they are their owner's alone, and split into one key a line. The
// store and state key rings (key.cpp) and serve's control keys read their files through here.
#pragma once

#include <discord/oauth2/secret.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace discord::oauth2::core {

/// The bytes of `path` (at most 64 KiB), held in a secret. Throws `error` (invalid_argument)
/// naming "the `what` file `path`" and the problem, never the content: missing, a symbolic link,
/// not a regular file, readable by group or others (saying `chmod 600 PATH`), too large.
[[nodiscard]] secret read_key_file(const std::string& path, std::string_view what);

/// Calls `each(line_number, line)` for every line of `content` that holds something: spaces, tabs
/// and carriage returns around it trimmed, blank lines and lines starting with `#` skipped.
template <class Each>
void for_each_key_line(std::string_view content, Each&& each)
{
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    std::size_t line_number = 0;
    for (std::size_t at = 0; at < content.size();) {
        auto end = content.find('\n', at);
        if (end == std::string_view::npos)
            end = content.size();
        auto line = content.substr(at, end - at);
        at = end + 1;
        ++line_number;
        while (!line.empty() && blank(line.front()))
            line.remove_prefix(1);
        while (!line.empty() && blank(line.back()))
            line.remove_suffix(1);
        if (!line.empty() && line.front() != '#')
            each(line_number, line);
    }
}

} // namespace discord::oauth2::core
