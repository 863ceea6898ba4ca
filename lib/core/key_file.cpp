#include "core/key_file.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace discord::oauth2::core {
namespace {

// A ring file holds a few keys and their comments; anything larger is not one.
constexpr std::size_t max_key_file = 64 * 1024;

} // namespace

secret read_key_file(const std::string& path, std::string_view what)
{
    const auto file = fmt::format("the {} file {}", what, path);
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
    secret text{std::string(max_key_file + 1, '\0')};
    std::string& buffer = const_cast<std::string&>(text.reveal()); // wiped with `text`
    std::size_t size = 0;
    for (ssize_t n; size < buffer.size() && (n = ::read(fd, buffer.data() + size, buffer.size() - size)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw error(errc::invalid_argument, file + " cannot be read");
        size += static_cast<std::size_t>(n);
    }
    if (size > max_key_file)
        throw error(errc::invalid_argument, fmt::format("{} is larger than {} KiB: not a key file", file, max_key_file / 1024));
    buffer.resize(size); // shrinking keeps the allocation, wiped whole with `text`
    return text;
}

} // namespace discord::oauth2::core
