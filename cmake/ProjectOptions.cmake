# Warnings and sanitizers for every target of the project, in one place.

add_library(chat_options INTERFACE)
add_library(chat::options ALIAS chat_options)
target_compile_options(chat_options INTERFACE -Wall -Wextra -Wpedantic)
# Repository root is the include root: "common/...", "server/...".
target_include_directories(chat_options INTERFACE ${PROJECT_SOURCE_DIR})
# Boost.Asio coroutines use std::exchange without including <utility> (Boost 1.74 + g++ 12).
target_compile_options(chat_options INTERFACE -include utility)
target_compile_definitions(chat_options INTERFACE BOOST_ASIO_NO_DEPRECATED)
# g++ 12 at -O3 reports "literal" + std::string as an overlapping memcpy (GCC bug 105329, a false
# -Wrestrict inside libstdc++); it says nothing about this code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(chat_options INTERFACE -Wno-restrict)
endif()

if(CHAT_SANITIZE STREQUAL "thread")
  # Asio's own atomic_thread_fence and its coroutine frames trip two g++ 12
  # diagnostics in TSan builds only; they are not about this code.
  target_compile_options(chat_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
                         -Wno-mismatched-new-delete)
  target_link_options(chat_options INTERFACE -fsanitize=thread)
  # Shadow memory and quarantines change what a process's RSS means: tests that measure it skip that check.
  target_compile_definitions(chat_options INTERFACE CHAT_SANITIZED_MEMORY=1)
elseif(CHAT_SANITIZE STREQUAL "address")
  target_compile_options(chat_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined)
  target_link_options(chat_options INTERFACE -fsanitize=address,undefined)
  # For the few tests that cannot run under it (see test_server_bad_input.cpp).
  target_compile_definitions(chat_options INTERFACE CHAT_UNDEFINED_SANITIZER=1 CHAT_SANITIZED_MEMORY=1)
elseif(NOT CHAT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CHAT_SANITIZE must be '', 'thread' or 'address', not '${CHAT_SANITIZE}'")
endif()

# Unity build of the libraries: each library's sources are compiled in batches of CMake's default 8,
# one translation unit per batch, so Boost.Asio's and Beast's headers are parsed, and their coroutine and
# stream templates instantiated and compiled, once per batch instead of once per source file. That takes
# about 45% of the CPU time off building the libraries (README, "Building by hand"). The test executables are
# one source file each and are left alone. -DCHAT_UNITY=OFF compiles every source on its own, for an
# incremental build that recompiles only the file that changed.
option(CHAT_UNITY "Compile the libraries as unity builds (batches of sources in one translation unit)" ON)
function(chat_unity_build target)
  if(CHAT_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON)
    # g++ warns when a type defined outside the main file (here: a source file included into its batch)
    # has a member of an internal type; a coroutine whose frame holds a variable of an anonymous-namespace
    # type is one. The warning guards headers included by several translation units; a source file in a
    # batch is compiled once, so there is nothing to guard. The build without CHAT_UNITY keeps it.
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()

# LLVM's lld links where it is installed (scripts/setup.sh installs it): about 4x faster than the default
# ld.bfd on the executables that link the server's libraries, which the test suite has dozens of.
option(CHAT_LLD "Link with lld when the compiler can use it" ON)
if(CHAT_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld CHAT_HAVE_LLD)
  if(CHAT_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()
