#pragma once

#include <filesystem>
#include <string>

namespace chat::test {

// Marks a file immutable (the attribute `chattr +i` sets) for the guard's life: root may not write it
// either, where a mode of 0444 would not stop root. Setting the attribute needs CAP_LINUX_IMMUTABLE and a
// file system that has it; where it cannot be set, immutable() is false and error() says why.
class ImmutableFile {
 public:
  explicit ImmutableFile(std::filesystem::path path);
  ~ImmutableFile();
  ImmutableFile(const ImmutableFile&) = delete;
  ImmutableFile& operator=(const ImmutableFile&) = delete;

  bool immutable() const noexcept { return immutable_; }
  const std::string& error() const noexcept { return error_; }

 private:
  std::filesystem::path path_;
  bool immutable_ = false;
  std::string error_;
};

}  // namespace chat::test
