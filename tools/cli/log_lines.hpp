// A log record of the library as one line: JSON for a log collector, or text for a person. Apart
// from where the lines go (log_output) so that a test can read them alone. Neither form lets a
// record's text make a line of its own: JSON escapes, and text shows control characters as \xNN.
#pragma once

#include <discord/oauth2/log.hpp>

#include <chrono>
#include <string>

namespace cli {

namespace oauth2 = discord::oauth2;

/// One record as one line of JSON: {"time", "level", "message", then each field by its name}.
/// `time` is UTC with milliseconds (RFC 3339). A field named like one of the first three is
/// written as "field_NAME" so that no record can overwrite them.
[[nodiscard]] std::string log_line_json(const oauth2::log_record& record, std::chrono::system_clock::time_point time);

/// "warning: MESSAGE" (the level, then the sentence), control characters as \xNN.
[[nodiscard]] std::string log_line_text(const oauth2::log_record& record);

/// A record logger that writes the records of `least` level and above to `fd`, as JSON lines or
/// text, through a bounded queue a thread of its own writes (line_writer): a reader that stalls
/// (a full pipe, a stuck journald) costs log lines, and a record of how many follows once there
/// is room, never the caller's thread. The queue lives as long as the logger's copies.
[[nodiscard]] oauth2::record_logger log_writer(int fd, bool json, oauth2::log_level least);

} // namespace cli
