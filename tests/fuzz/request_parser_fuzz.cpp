// libFuzzer target for the strict request parser. Beyond "no crash, no leak, no UB" (the
// sanitizers), it checks that the parser's answer does not depend on how TCP splits the bytes,
// and that nothing it accepts carries a byte that could split a header or a path.
#include "server/request_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using discord::oauth2::server::request_parser;

struct outcome {
    request_parser::result result;
    int status;
    std::size_t consumed;
};

outcome feed_in_pieces(request_parser& p, std::string_view data, std::size_t piece)
{
    std::size_t total = 0;
    while (!data.empty()) {
        std::size_t consumed = 0;
        auto r = p.feed(data.substr(0, piece), consumed);
        total += consumed;
        if (r != request_parser::result::need_more)
            return {r, p.error_status(), total};
        data.remove_prefix(consumed);
    }
    return {request_parser::result::need_more, 0, total};
}

void check(bool condition)
{
    if (!condition)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    // The first byte chooses how the rest is split.
    std::size_t piece = 1 + data[0] % 17;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    request_parser whole_parser;
    auto whole = feed_in_pieces(whole_parser, input, input.size() + 1);
    request_parser split_parser;
    auto split = feed_in_pieces(split_parser, input, piece);

    check(whole.result == split.result);
    check(whole.status == split.status);
    check(whole.consumed <= input.size());
    if (whole.result == request_parser::result::error)
        check(whole.status >= 400 && whole.status < 600);

    if (whole.result == request_parser::result::complete) {
        check(whole.consumed == split.consumed);
        const auto& a = whole_parser.get();
        const auto& b = split_parser.get();
        check(a.method == b.method && a.target == b.target && a.body == b.body && a.path == b.path);
        check(a.fields.size() == b.fields.size());
        check(a.path.find('\0') == std::string::npos);
        for (const auto& [name, value] : a.fields) {
            check(!name.empty());
            check(name.find_first_of(std::string_view(":\r\n \t\0", 6)) == std::string::npos);
            check(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
        }
        check(!a.fields.contains("transfer-encoding"));
        // The parser is reusable for the next request on the connection.
        whole_parser.reset();
        std::size_t consumed = 0;
        whole_parser.feed(input.substr(whole.consumed), consumed);
    }
    return 0;
}
