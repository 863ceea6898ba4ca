#include "terminal_qr.hpp"

#ifdef DISCORD_OAUTH2_HAVE_QRENCODE
#include <qrencode.h>

#include <memory>
#endif

namespace cli {

std::optional<std::string> terminal_qr(std::string_view text)
{
#ifdef DISCORD_OAUTH2_HAVE_QRENCODE
    std::string copy(text); // NUL-terminated for libqrencode
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString(copy.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1),
                                                         &QRcode_free);
    if (!code)
        return std::nullopt;
    constexpr int quiet = 2; // modules of light margin on every side
    const int width = code->width;
    auto light = [&](int row, int column) {
        row -= quiet;
        column -= quiet;
        if (row < 0 || column < 0 || row >= width || column >= width)
            return true;
        return (code->data[row * width + column] & 1) == 0; // bit 0: a dark module
    };
    std::string drawing;
    const int side = width + 2 * quiet;
    for (int row = 0; row < side; row += 2) {
        for (int column = 0; column < side; ++column) {
            bool top = light(row, column);
            bool bottom = row + 1 < side ? light(row + 1, column) : false;
            drawing += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        drawing += '\n';
    }
    return drawing;
#else
    (void)text;
    return std::nullopt;
#endif
}

} // namespace cli
