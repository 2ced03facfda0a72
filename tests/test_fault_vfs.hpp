#pragma once
// A disk that fills up on demand, without a mount: a VFS over SQLite's default one whose writes fail with
// SQLITE_FULL (the code SQLite gives for ENOSPC) while the test says the disk is full. Registered as the
// default VFS of the test binary, so a SqliteStore opened by the test goes through it with no hook in the product.

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace chat::test {

class FullDiskVfs {
 public:
  // Registers the VFS as the default one, once; every connection opened afterwards uses it.
  static FullDiskVfs& install() {
    static FullDiskVfs vfs;
    return vfs;
  }

  void set_full(bool full) noexcept { full_.store(full); }
  bool full() const noexcept { return full_.load(); }

 private:
  // Our file in front of the real one, which SQLite allocates right behind it (szOsFile covers both).
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
  };

  FullDiskVfs() {
    real_ = sqlite3_vfs_find(nullptr);
    if (real_ == nullptr) throw std::runtime_error("no default SQLite VFS");
    std::memcpy(&vfs_, real_, sizeof vfs_);
    vfs_.zName = "chat-test-full-disk";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.pNext = nullptr;
    vfs_.xOpen = &FullDiskVfs::open;
    if (sqlite3_vfs_register(&vfs_, 1) != SQLITE_OK) throw std::runtime_error("cannot register the test VFS");
  }

  static FullDiskVfs& self() { return install(); }
  static sqlite3_file* real(sqlite3_file* file) { return reinterpret_cast<File*>(file)->real; }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    auto* ours = reinterpret_cast<File*>(file);
    ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
    ours->base.pMethods = nullptr;
    const int rc = self().real_->xOpen(self().real_, name, ours->real, flags, out_flags);
    // SQLite calls xClose only on a file whose pMethods is set; the real file's says whether it was opened.
    if (ours->real->pMethods != nullptr) ours->base.pMethods = &methods;
    return rc;
  }

  static int close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
  static int read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return real(f)->pMethods->xRead(real(f), b, n, o); }
  static int write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    if (self().full()) return SQLITE_FULL;
    return real(f)->pMethods->xWrite(real(f), b, n, o);
  }
  static int truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
  static int sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
  static int file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
  static int lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
  static int unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
  static int check_lock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
  static int file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
  static int sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
  static int device_characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
  static int shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
  }
  static int shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
  }
  static void shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
  static int shm_unmap(sqlite3_file* f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); }

  // Version 2: no memory-mapped reads (xFetch), which would bypass xRead; SQLite then reads through xRead.
  static inline const sqlite3_io_methods methods{2,         &close,        &read,         &write,
                                                 &truncate, &sync,         &file_size,    &lock,
                                                 &unlock,   &check_lock,   &file_control, &sector_size,
                                                 &device_characteristics, &shm_map, &shm_lock, &shm_barrier,
                                                 &shm_unmap, nullptr, nullptr};

  sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
  std::atomic<bool> full_{false};
};

}  // namespace chat::test
