#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat {

// Builds a page in the Prometheus text exposition format 0.0.4: each family opens with its # HELP and # TYPE
// lines, then its samples, one per line. Label values and help texts are escaped as the format asks (a
// backslash, a double quote in a label value, a line feed), so that no value, whatever it holds, can end a
// line or a label early. Names are the caller's constants and are not checked here.
// Not thread-safe: one writer per page.
class PrometheusText {
 public:
  enum class Type { counter, gauge, summary, histogram };
  using Labels = std::vector<std::pair<std::string_view, std::string>>;

  // Content-Type of the page.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Opens a family; the samples that follow belong to it.
  void family(std::string_view name, Type type, std::string_view help);

  // One sample line. `name` is the family's name, or for a summary or a histogram its name with _sum, _count
  // or (a histogram's) _bucket.
  void sample(std::string_view name, double value, const Labels& labels = {});
  template <std::integral T>
  void sample(std::string_view name, T value, const Labels& labels = {}) {
    write_sample(name, std::to_string(value), labels);
  }

  // A family with a single unlabelled sample, the common case.
  template <class T>
  void single(std::string_view name, Type type, std::string_view help, T value) {
    family(name, type, help);
    sample(name, value);
  }

  const std::string& text() const noexcept { return text_; }

  // A value as the format spells it: the shortest text that reads back as the same double, NaN, +Inf, -Inf
  // (also for a label value that is a number, such as a histogram bucket's "le").
  static std::string number(double value);
  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);

 private:
  void write_sample(std::string_view name, std::string_view value, const Labels& labels);

  std::string text_;
};

}  // namespace chat
