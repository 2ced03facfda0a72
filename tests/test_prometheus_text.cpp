// The exposition format's own rules, which a scraper enforces: HELP and TYPE before a family's samples,
// label values escaped so that no value can end a line or a label early, the special values spelled its way.
#include <doctest/doctest.h>

#include <limits>

#include "server/http/prometheus_text.hpp"

using chat::PrometheusText;

TEST_CASE("a family opens with HELP and TYPE, then its samples") {
  PrometheusText page;
  page.single("chat_connections", PrometheusText::Type::gauge, "Chat connections open now.", 3);
  page.family("chat_disconnects_total", PrometheusText::Type::counter, "Closed, by reason.");
  page.sample("chat_disconnects_total", std::uint64_t{7}, {{"reason", "idle_timeout"}});
  CHECK(page.text() ==
        "# HELP chat_connections Chat connections open now.\n"
        "# TYPE chat_connections gauge\n"
        "chat_connections 3\n"
        "# HELP chat_disconnects_total Closed, by reason.\n"
        "# TYPE chat_disconnects_total counter\n"
        "chat_disconnects_total{reason=\"idle_timeout\"} 7\n");
}

TEST_CASE("LabelInjection: quotes, backslashes and line feeds in a label value are escaped") {
  CHECK(PrometheusText::escape_label_value(R"(a"b\c)") == R"(a\"b\\c)");
  CHECK(PrometheusText::escape_label_value("x\n} 1\nfake_metric 2") == "x\\n} 1\\nfake_metric 2");
  PrometheusText page;
  page.family("m", PrometheusText::Type::gauge, "h");
  page.sample("m", 1, {{"a", "\"\n"}, {"b", "ok"}});
  CHECK(page.text().ends_with("m{a=\"\\\"\\n\",b=\"ok\"} 1\n"));
}

TEST_CASE("HELP escapes backslashes and line feeds, and keeps quotes") {
  CHECK(PrometheusText::escape_help("say \"hi\"\\\nnext") == "say \"hi\"\\\\\\nnext");
}

TEST_CASE("numbers: integers exactly, fractions shortest, special values as the format spells them") {
  PrometheusText page;
  page.sample("a", std::uint64_t{18446744073709551615u});
  page.sample("b", 0.25);
  page.sample("c", std::numeric_limits<double>::infinity());
  page.sample("d", std::numeric_limits<double>::quiet_NaN());
  CHECK(page.text() == "a 18446744073709551615\nb 0.25\nc +Inf\nd NaN\n");
}
