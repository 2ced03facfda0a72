#pragma once

#include <cstdio>
#include <string_view>

namespace chat::client {

class OutputLog;

// Data lines are the conversation (events, replies); notices are the client
// talking about itself. Scripts keep the two apart: stdout stays parseable.
enum class Channel { Data, Notice };

class LineWriter {
 public:
  virtual ~LineWriter() = default;
  virtual void write(std::string_view line, Channel channel) = 0;
};

// Writes data to stdout and notices to stderr, one flushed line at a time so
// that pipelines see each line as it happens, and records every line in the
// log that /wait searches.
class StdioWriter final : public LineWriter {
 public:
  explicit StdioWriter(OutputLog& log, std::FILE* data = stdout, std::FILE* notices = stderr)
      : log_(log), data_(data), notices_(notices) {}
  void write(std::string_view line, Channel channel) override;

 private:
  OutputLog& log_;
  std::FILE* data_;
  std::FILE* notices_;
};

}  // namespace chat::client
