#include "client/line_writer.hpp"

#include "client/output_log.hpp"

namespace chat::client {

void StdioWriter::write(std::string_view line, Channel channel) {
  std::FILE* stream = channel == Channel::Data ? data_ : notices_;
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
  log_.record(line);
}

}  // namespace chat::client
