// A QR code drawn with Unicode block characters, for the device flow's verification URL on a
// terminal (login --device): two rows of modules per line of text, light modules as blocks, so
// that it reads on the dark background most terminals have, with the quiet zone around it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cli {

/// The drawing of `text` as a QR code, one string with a newline after each line; nullopt when
/// the command line was built without libqrencode or the text does not fit in a QR code.
[[nodiscard]] std::optional<std::string> terminal_qr(std::string_view text);

} // namespace cli
