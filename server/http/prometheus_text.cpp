#include "server/http/prometheus_text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace chat {

namespace {

std::string_view type_name(PrometheusText::Type type) {
  switch (type) {
    case PrometheusText::Type::counter:
      return "counter";
    case PrometheusText::Type::gauge:
      return "gauge";
    case PrometheusText::Type::summary:
      return "summary";
    case PrometheusText::Type::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string PrometheusText::escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string PrometheusText::escape_help(std::string_view help) {
  // In HELP only the backslash and the line feed are escaped; a quote is an ordinary character there.
  std::string escaped;
  escaped.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  fmt::format_to(std::back_inserter(text_), "# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name,
                 type_name(type));
}

std::string PrometheusText::number(double value) {
  // The format spells the special values this way; fmt would write "inf" and "nan".
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::sample(std::string_view name, double value, const Labels& labels) {
  write_sample(name, number(value), labels);
}

void PrometheusText::write_sample(std::string_view name, std::string_view value, const Labels& labels) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) text_ += ',';
      first = false;
      fmt::format_to(std::back_inserter(text_), "{}=\"{}\"", label, escape_label_value(label_value));
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

}  // namespace chat
