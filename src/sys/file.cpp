#include "sys/file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace portkit::sys {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

Result<Fd> open_for_reading(const std::string& path) {
  int raw = -1;
  do {
    raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return make_error("cannot open " + path + ": " + std::strerror(errno), errno);
  return Fd(raw);
}

}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  auto opened = open_for_reading(path);
  if (!opened) return opened.error();
  const Fd fd = std::move(opened).value();
  // Read straight into the string, sized from the file where it says (a 1 MB nmap-services
  // in 4 KiB pieces cost 250 reads and a copy per growth); /proc files say 0.
  struct stat info {};
  const auto hint = ::fstat(fd.get(), &info) == 0 && info.st_size > 0
                        ? static_cast<std::size_t>(info.st_size) + 1
                        : std::size_t{4096};
  std::string text(hint, '\0');
  std::size_t size = 0;
  while (true) {
    if (size == text.size()) text.resize(text.size() * 2);
    const auto got = ::read(fd.get(), text.data() + size, text.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return make_error("cannot read " + path + ": " + std::strerror(errno), errno);
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
  }
  text.resize(size);
  return text;
}

namespace {

std::string size_text(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

// Directory, device and size errors are bad input (errno 0: exit 2), not runtime failures.
Result<std::string> read_input_file(const std::string& path, std::size_t max_bytes) {
  const bool standard_input = path == "-";
  const auto name = standard_input ? std::string("standard input") : "'" + path + "'";
  Fd owned;
  int fd = 0;
  if (!standard_input) {
    auto opened = open_for_reading(path);
    if (!opened) return opened.error();
    owned = std::move(opened).value();
    fd = owned.get();
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return make_error("cannot stat " + name + ": " + std::strerror(errno), errno);
  }
  if (S_ISDIR(info.st_mode)) return make_error(name + " is a directory, not a file");
  if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) {
    return make_error(name + " is a device, not a file");
  }
  if (S_ISREG(info.st_mode) && static_cast<std::size_t>(info.st_size) > max_bytes) {
    return make_error(name + " is larger than " + size_text(max_bytes) + ", the limit");
  }
  std::string text;
  std::size_t size = 0;
  while (true) {
    if (size == text.size())
      text.resize(std::min(max_bytes + 1, std::max<std::size_t>(4096, size * 2)));
    const auto got = ::read(fd, text.data() + size, text.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return make_error("cannot read " + name + ": " + std::strerror(errno), errno);
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
    if (size > max_bytes) {
      return make_error(name + " is larger than " + size_text(max_bytes) + ", the limit");
    }
  }
  text.resize(size);
  return text;
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  auto opened = open_for_reading(path);
  if (!opened) return opened.error();
  const Fd fd = std::move(opened).value();
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return make_error("cannot stat " + path + ": " + std::strerror(errno), errno);
  }
  if (!S_ISREG(info.st_mode)) return make_error(path + " is not a regular file", EINVAL);
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size == 0) return MappedFile(nullptr, 0);
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED) {
    return make_error("cannot map " + path + ": " + std::strerror(errno), errno);
  }
  return MappedFile(static_cast<const char*>(data), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

}  // namespace portkit::sys
