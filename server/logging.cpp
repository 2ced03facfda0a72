#include "server/logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace chat {

void configure_logging(const ServerConfig::Log& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!config.file.empty()) {
    sinks.push_back(
        std::make_shared<spdlog::sinks::rotating_file_sink_mt>(config.file, config.file_max_bytes, config.file_count));
  }
  auto logger = std::make_shared<spdlog::logger>("chat", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

std::string log_sample(std::string_view input, std::size_t max_bytes) {
  std::string sample;
  for (const char c : input.substr(0, max_bytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F || byte >= 0x80) {
      static constexpr char kHex[] = "0123456789abcdef";
      sample += "\\x";
      sample += kHex[byte >> 4];
      sample += kHex[byte & 0xF];
    } else {
      sample.push_back(c);
    }
  }
  if (input.size() > max_bytes) sample += "...";
  return sample;
}

}  // namespace chat
