// The throwaway certificate for local TLS: its private key is its owner's alone, and a symbolic
// link planted where the key goes is replaced, never written through.
#include "tls/self_signed_certificate.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
namespace tls = discord::oauth2::tls;

TEST_CASE("the private key is written with mode 600, the certificate 644, through no symbolic link")
{
    auto dir = fs::temp_directory_path() / ("certificate-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto victim = dir / "victim.txt";
    std::ofstream(victim) << "not yours";
    fs::create_symlink(victim, dir / "key.pem"); // planted by someone who can write the directory

    auto files = tls::write_self_signed_certificate(dir.string());
    CHECK((fs::status(files.private_key_file).permissions() & fs::perms::all)
          == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK((fs::status(files.certificate_file).permissions() & fs::perms::all & ~fs::perms::group_write
           & ~fs::perms::others_write)
          == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    CHECK_FALSE(fs::is_symlink(files.private_key_file));
    std::ifstream untouched(victim);
    std::string text;
    std::getline(untouched, text);
    CHECK(text == "not yours");
    std::ifstream key(files.private_key_file);
    std::getline(key, text);
    CHECK(text == "-----BEGIN PRIVATE KEY-----");

    // Written again over the first: still a fresh file with the same modes.
    auto again = tls::write_self_signed_certificate(dir.string());
    CHECK((fs::status(again.private_key_file).permissions() & fs::perms::all)
          == (fs::perms::owner_read | fs::perms::owner_write));
    fs::remove_all(dir);
}
