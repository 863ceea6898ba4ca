// The 32-byte keys of both purposes: one implementation, instantiated for each.
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/store_key.hpp>

#include "core/hex.hpp"
#include "core/random.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace discord::oauth2 {

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
    const auto file = fmt::format("the {} file {}", Purpose::name, path);
    // Opened without following a symbolic link, then checked on the open descriptor: what is
    // checked is what is read.
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throw error(errc::invalid_argument, file + " cannot be read"
                                                + (errno == ELOOP ? " (it is a symbolic link)" : ""));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw error(errc::invalid_argument, file + " is not a regular file");
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw error(errc::invalid_argument, fmt::format("{} can be read by other users (mode {:03o}); run: chmod 600 {}", file,
                                                        st.st_mode & 0777, path));
    secret text{std::string(128, '\0')};
    std::string& buffer = const_cast<std::string&>(text.reveal()); // wiped with `text`
    std::size_t size = 0;
    for (ssize_t n; size < buffer.size() && (n = ::read(fd, buffer.data() + size, buffer.size() - size)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw error(errc::invalid_argument, file + " cannot be read");
        size += static_cast<std::size_t>(n);
    }
    if (size == 32)
        return from_bytes(std::string_view(buffer).substr(0, 32));
    while (size > 0 && (buffer[size - 1] == '\n' || buffer[size - 1] == '\r'))
        --size;
    if (size == 64) {
        secret bytes{std::string(32, '\0')};
        auto& out = const_cast<std::string&>(bytes.reveal());
        if (!hex::decode(std::string_view(buffer.data(), 64), reinterpret_cast<unsigned char*>(out.data()), 32))
            throw error(errc::invalid_argument, file + " is not 64 hexadecimal digits");
        return basic_key(std::move(bytes));
    }
    throw error(errc::invalid_argument,
                file + " must hold 64 hexadecimal digits or 32 raw bytes");
}

template <class Purpose>
secret basic_key<Purpose>::to_hex() const
{
    const auto& bytes = bytes_.reveal();
    return secret(hex::encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

template class basic_key<state_key_purpose>;
template class basic_key<store_key_purpose>;

} // namespace discord::oauth2
