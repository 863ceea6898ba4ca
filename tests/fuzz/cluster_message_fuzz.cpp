// libFuzzer target for what instances tell each other: the envelope (a tag under the derived
// key) and the message inside. Fuzzed text never passes the envelope; fuzzed text sealed with
// the right key (an instance's own bug) decodes without UB, and what decodes encodes to text
// that decodes the same way.
#include "fuzz_check.hpp"
#include "web/cluster_messages.hpp"

#include <discord/oauth2/state.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oauth2 = discord::oauth2;
namespace web = discord::oauth2::web;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const web::message_key key(oauth2::state_key::from_bytes(std::string(32, 'k')));
    std::string_view input(reinterpret_cast<const char*>(data), size);
    check(!key.open(input)); // no valid tag without the key
    auto sealed = key.seal(input, std::chrono::system_clock::now());
    auto opened = key.open(sealed);
    check(opened && opened->text == input);

    auto decoded = web::decode_message(input);
    if (!decoded)
        return 0;
    if (auto* m = std::get_if<web::settled_message>(&*decoded)) {
        auto again = web::decode_message(web::encode_message(*m));
        check(again && std::holds_alternative<web::settled_message>(*again));
        const auto& n = std::get<web::settled_message>(*again);
        check(n.nonce == m->nonce && n.user == m->user && n.outcome == m->outcome && n.code == m->code
              && n.page.status == m->page.status);
    } else {
        const auto& e = std::get<oauth2::event>(*decoded);
        check(!e.token);
        check(!e.claims || (e.claims->nonce.empty() && !e.claims->code_verifier));
        auto again = web::decode_message(web::encode_message(e));
        check(again && std::holds_alternative<oauth2::event>(*again));
        check(std::get<oauth2::event>(*again).kind == e.kind);
    }
    return 0;
}
