// The 32-byte keys and key rings of both purposes: one implementation, instantiated for each.
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/store_key.hpp>

#include "core/hex.hpp"
#include "core/key_file.hpp"
#include "core/mac.hpp"
#include "core/random.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>


namespace discord::oauth2 {
std::string key_id_text(std::uint32_t id)
{
    return fmt::format("{:08x}", id);
}

template <class Purpose>
basic_key<Purpose>::basic_key(secret bytes) : bytes_(std::move(bytes)), id_(0)
{
    auto tag = mac::tag(bytes_.reveal(), "discord-oauth2 key id");
    for (int i = 0; i < 4; ++i)
        id_ = (id_ << 8) | static_cast<unsigned char>(tag[static_cast<std::size_t>(i)]);
}

template <class Purpose>
basic_key<Purpose> basic_key<Purpose>::generate()
{
    return basic_key(secret(random::bytes(32)));
}

template <class Purpose>
basic_key<Purpose> basic_key<Purpose>::from_bytes(std::string_view bytes)
{
    if (bytes.size() != 32)
        throw error(errc::invalid_argument, fmt::format("a {} is 32 bytes, not {}", Purpose::name, bytes.size()));
    return basic_key(secret(std::string(bytes)));
}

template <class Purpose>
basic_key<Purpose> basic_key<Purpose>::from_file(const std::string& path)
{
    auto ring = basic_key_ring<Purpose>::from_file(path);
    if (ring.keys().size() != 1)
        throw error(errc::invalid_argument,
                    fmt::format("the {} file {} holds {} keys (a key ring): read it as a ring, which every function "
                                "taking a {} accepts",
                                Purpose::name, path, ring.keys().size(), Purpose::name));
    return ring.current();
}

template <class Purpose>
secret basic_key<Purpose>::to_hex() const
{
    const auto& bytes = bytes_.reveal();
    return secret(hex::encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

template <class Purpose>
std::string basic_key<Purpose>::id_text() const
{
    return key_id_text(id_);
}

template <class Purpose>
basic_key_ring<Purpose>::basic_key_ring(basic_key<Purpose> key)
{
    keys_.push_back(std::move(key));
}

template <class Purpose>
basic_key_ring<Purpose>::basic_key_ring(std::vector<basic_key<Purpose>> keys) : keys_(std::move(keys))
{
    if (keys_.empty())
        throw error(errc::invalid_argument, fmt::format("a {} ring holds at least one key", Purpose::name));
    for (std::size_t i = 0; i < keys_.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (keys_[i].id() == keys_[j].id())
                throw error(errc::invalid_argument, fmt::format("the {} ring lists key {} twice (keys {} and {})",
                                                                Purpose::name, keys_[i].id_text(), j + 1, i + 1));
}

template <class Purpose>
basic_key_ring<Purpose> basic_key_ring<Purpose>::from_file(const std::string& path)
{
    auto text = core::read_key_file(path, Purpose::name);
    std::string_view content = text.reveal();
    // 32 bytes exactly: one raw key (64 hexadecimal digits take 64).
    if (content.size() == 32)
        return basic_key_ring(basic_key<Purpose>::from_bytes(content));
    const auto file = fmt::format("the {} file {}", Purpose::name, path);
    std::vector<basic_key<Purpose>> keys;
    core::for_each_key_line(content, [&](std::size_t line_number, std::string_view line) {
        secret bytes{std::string(32, '\0')};
        auto& out = const_cast<std::string&>(bytes.reveal()); // wiped with `bytes`
        if (!hex::decode(line, reinterpret_cast<unsigned char*>(out.data()), 32))
            throw error(errc::invalid_argument,
                        fmt::format("{}: line {} is not a key (64 hexadecimal digits)", file, line_number));
        keys.push_back(basic_key<Purpose>::from_bytes(out));
    });
    if (keys.empty())
        throw error(errc::invalid_argument, file + " must hold 64 hexadecimal digits or 32 raw bytes");
    return basic_key_ring(std::move(keys));
}

template <class Purpose>
const basic_key<Purpose>* basic_key_ring<Purpose>::find(std::uint32_t id) const noexcept
{
    for (const auto& key : keys_)
        if (key.id() == id)
            return &key;
    return nullptr;
}

template <class Purpose>
std::string basic_key_ring<Purpose>::ids_text() const
{
    std::string out;
    for (const auto& key : keys_) {
        if (!out.empty())
            out += ", ";
        out += key.id_text();
    }
    return out;
}

template class basic_key<state_key_purpose>;
template class basic_key<store_key_purpose>;
template class basic_key_ring<state_key_purpose>;
template class basic_key_ring<store_key_purpose>;

} // namespace discord::oauth2
