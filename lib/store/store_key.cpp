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

store_key store_key::generate()
{
    return store_key(secret(random::bytes(32)));
}

store_key store_key::from_bytes(std::string_view bytes)
{
    if (bytes.size() != 32)
        throw error(errc::invalid_argument, "a store key is 32 bytes, not " + std::to_string(bytes.size()));
    return store_key(secret(std::string(bytes)));
}

store_key store_key::from_file(const std::string& path)
{
    // Opened without following a symbolic link, then checked on the open descriptor: what is
    // checked is what is read.
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throw error(errc::invalid_argument, "the store key file " + path + " cannot be read"
                                                + (errno == ELOOP ? " (it is a symbolic link)" : ""));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw error(errc::invalid_argument, "the store key file " + path + " is not a regular file");
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw error(errc::invalid_argument, fmt::format("the store key file {} can be read by other users "
                                                        "(mode {:03o}); run: chmod 600 {}",
                                                        path, st.st_mode & 0777, path));
    secret text{std::string(128, '\0')};
    std::string& buffer = const_cast<std::string&>(text.reveal()); // wiped with `text`
    std::size_t size = 0;
    for (ssize_t n; size < buffer.size() && (n = ::read(fd, buffer.data() + size, buffer.size() - size)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw error(errc::invalid_argument, "the store key file " + path + " cannot be read");
        size += static_cast<std::size_t>(n);
    }
    if (size == 32)
        return from_bytes(std::string_view(buffer).substr(0, 32));
    while (size > 0 && (buffer[size - 1] == '\n' || buffer[size - 1] == '\r'))
        --size;
    if (size == 64) {
        secret bytes{std::string(32, '\0')};
        auto& out = const_cast<std::string&>(bytes.reveal());
        for (std::size_t i = 0; i < 64; i += 2) {
            int hi = hex::digit_value(buffer[i]);
            int lo = hex::digit_value(buffer[i + 1]);
            if (hi < 0 || lo < 0)
                throw error(errc::invalid_argument, "the store key file " + path + " is not 64 hexadecimal digits");
            out[i / 2] = static_cast<char>(hi * 16 + lo);
        }
        return store_key(std::move(bytes));
    }
    throw error(errc::invalid_argument,
                "the store key file " + path + " must hold 64 hexadecimal digits or 32 raw bytes");
}

secret store_key::to_hex() const
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : bytes_.reveal()) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
    }
    return secret(std::move(hex));
}

} // namespace discord::oauth2
