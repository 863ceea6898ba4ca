// The command line's QR drawing (tools/cli/terminal_qr.cpp): the shape every QR code has, drawn
// two module rows to a line, and texts too long for a QR code refused.
#include "terminal_qr.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

// The drawing's lines, each as its glyphs (one UTF-8 sequence each).
std::vector<std::vector<std::string>> glyphs(const std::string& drawing)
{
    std::vector<std::vector<std::string>> lines;
    std::istringstream in(drawing);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> row;
        for (std::size_t i = 0; i < line.size();) {
            auto length = (static_cast<unsigned char>(line[i]) & 0x80) ? 3u : 1u; // the blocks are 3 bytes
            row.push_back(line.substr(i, length));
            i += length;
        }
        lines.push_back(std::move(row));
    }
    return lines;
}

std::string join(const std::vector<std::string>& row, std::size_t from, std::size_t count)
{
    std::string text;
    for (std::size_t i = from; i < from + count; ++i)
        text += row.at(i);
    return text;
}

} // namespace

TEST_CASE("a verification URL drawn: square, a light quiet zone, the finder pattern in the corner")
{
    auto drawing = cli::terminal_qr("https://discord.com/activate?user_code=WDJB-MJHT");
    REQUIRE(drawing);
    auto lines = glyphs(*drawing);
    REQUIRE(lines.size() > 10);
    auto side = lines.front().size(); // modules plus two of quiet zone on each side
    CHECK((side - 4) % 4 == 1);        // QR codes are 4v + 17 modules wide
    CHECK(lines.size() == (side + 1) / 2);
    for (const auto& row : lines)
        CHECK(row.size() == side);
    CHECK(join(lines.front(), 0, side) == [&] {
        std::string all;
        for (std::size_t i = 0; i < side; ++i)
            all += "\u2588";
        return all;
    }()); // the top two rows of quiet zone: light over light
    // Rows 2 and 3: the top of the finder pattern (seven dark modules, then dark, five light, dark).
    CHECK(join(lines[1], 0, 11) == "\u2588\u2588 \u2584\u2584\u2584\u2584\u2584 \u2588\u2588");
}

TEST_CASE("a text no QR code can hold is refused")
{
    CHECK_FALSE(cli::terminal_qr(std::string(8000, 'x')));
}
