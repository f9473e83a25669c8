// POSIX file plumbing (posix_file.hpp).
#include "core/io/posix_file.hpp"

#include "core/base/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace m1 {

namespace {

// Makes a rename durable. Best effort: some file systems refuse fsync on directories, and the
// file itself is already complete under its final name.
void sync_directory(const std::filesystem::path& dir) {
    fd_handle fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

std::string errno_text(int err) { return std::system_category().message(err); }

fd_handle& fd_handle::operator=(fd_handle&& other) noexcept {
    if (this != &other) {
        (void)close();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

int fd_handle::close() noexcept {
    const int r = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return r;
}

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool read_all(int fd, std::string& out) {
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

std::string read_bytes(const std::filesystem::path& path) {
    fd_handle fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::string text;
    if (fd.get() < 0 || !read_all(fd.get(), text)) {
        const int err = errno;
        throw run_error("cannot read " + path.string() + ": " + errno_text(err));
    }
    return text;
}

std::string unique_suffix() {
    static std::atomic<std::uint64_t> counter{0};
    return std::to_string(::getpid()) + "." + std::to_string(counter++);
}

void throw_write_failure(const std::filesystem::path& path, int err, const std::string& verb,
                         const std::string& step) {
    if (is_storage_fault(err)) throw storage_error(err, path.string());
    throw run_error(verb + " " + path.string() + ": " + step + errno_text(err));
}

void make_directories(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw_write_failure(dir, ec.value(), "cannot create");
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    std::filesystem::path temporary;
    fd_handle fd;
    for (int attempt = 0; fd.get() < 0; ++attempt) {
        temporary = path;
        temporary += ".tmp." + unique_suffix();
        fd = fd_handle(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
        if (fd.get() < 0 && (errno != EEXIST || attempt == 100))
            throw_write_failure(path, errno, "cannot create");
    }
    auto fail = [&](const char* step) {
        const int err = errno;
        ::unlink(temporary.c_str());
        throw_write_failure(path, err, "cannot write", step);
    };
    if (!write_all(fd.get(), text)) fail("");
    if (::fsync(fd.get()) != 0) fail("fsync: ");
    if (fd.close() != 0) fail("close: ");
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail("rename: ");
    sync_directory(path.parent_path());
}

}  // namespace m1
