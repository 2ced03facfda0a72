#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace chat::test {

// A tmpfs of a fixed size mounted on a fresh temporary folder: a volume that fills up, or that can be made
// read-only, for storage fault tests. Mounting needs CAP_SYS_ADMIN; where it is not allowed mounted() is
// false and error() says why, so that a test can skip with that reason. The destructor unmounts (detaching
// lazily when something still holds the volume) and removes the folder, so no mount outlives the test.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::uint64_t bytes);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const noexcept { return mounted_; }
  const std::string& error() const noexcept { return error_; }
  const std::filesystem::path& path() const noexcept { return path_; }

  // Throws std::runtime_error when the kernel refuses.
  void remount_read_only();

 private:
  std::filesystem::path path_;
  std::uint64_t bytes_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace chat::test
