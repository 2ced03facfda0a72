// The test executables' main: doctest's runner, after spdlog is set up.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  // spdlog creates its registry on first use, inside its uninstrumented shared library; creating
  // it here, before any test starts a thread, keeps ThreadSanitizer from taking two workers'
  // first log lines for a race on it.
  spdlog::default_logger();
  doctest::Context context(argc, argv);
  return context.run();
}
