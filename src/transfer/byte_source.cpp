#include "transfer/byte_source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rapport::transfer {

std::size_t MemorySource::Read(char* buffer, std::size_t size) {
  const std::size_t n = std::min(size, bytes_.size() - position_);
  std::memcpy(buffer, bytes_.data() + position_, n);
  position_ += n;
  return n;
}

FileSource::FileSource(const std::string& path) : path_(path) {
  if (path == "-") {
    file_ = stdin;
    owned_ = false;
    return;
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (fstat(fileno(file_), &info) == 0 && S_ISREG(info.st_mode)) {
    size_ = static_cast<uint64_t>(info.st_size);
  }
}

FileSource::~FileSource() {
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

std::size_t FileSource::Read(char* buffer, std::size_t size) {
  const std::size_t n = std::fread(buffer, 1, size, file_);
  if (n < size && std::ferror(file_)) {
    throw std::runtime_error("cannot read " + path_ + ": " + std::strerror(errno));
  }
  return n;
}

bool FileSource::Rewind() {
  if (!size_) return false;  // not a regular file: a pipe or a terminal
  return std::fseek(file_, 0, SEEK_SET) == 0;
}

SourceStreamBuffer::int_type SourceStreamBuffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const std::size_t n = source_.Read(buffer_, sizeof buffer_);
  if (n == 0) return traits_type::eof();
  setg(buffer_, buffer_, buffer_ + n);
  return traits_type::to_int_type(*gptr());
}

}  // namespace rapport::transfer
