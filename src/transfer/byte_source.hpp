#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>

namespace rapport::transfer {

// The bytes of an import, read front to back in blocks.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes into `buffer`; 0 at the end. Throws std::runtime_error when the
  // input cannot be read.
  virtual std::size_t Read(char* buffer, std::size_t size) = 0;
  // Starts over from the first byte; false when the source cannot (a pipe).
  virtual bool Rewind() = 0;
  // The total size when known (for progress).
  virtual std::optional<uint64_t> size() const = 0;
};

// Bytes already in memory (an HTTP body); not copied. `bytes` must outlive the source.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  std::size_t Read(char* buffer, std::size_t size) override;
  bool Rewind() override {
    position_ = 0;
    return true;
  }
  std::optional<uint64_t> size() const override { return bytes_.size(); }
  std::string_view bytes() const { return bytes_; }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

// A file read in blocks ("-" is standard input, which cannot be rewound).
class FileSource final : public ByteSource {
 public:
  // Throws std::runtime_error naming the file when it cannot be opened.
  explicit FileSource(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::size_t Read(char* buffer, std::size_t size) override;
  bool Rewind() override;
  std::optional<uint64_t> size() const override { return size_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool owned_ = true;
  std::optional<uint64_t> size_;
};

// A std::streambuf over a ByteSource, for parsers that read streams (nlohmann's SAX).
class SourceStreamBuffer final : public std::streambuf {
 public:
  explicit SourceStreamBuffer(ByteSource& source) : source_(source) {}

 protected:
  int_type underflow() override;

 private:
  ByteSource& source_;
  char buffer_[64 << 10];
};

}  // namespace rapport::transfer
