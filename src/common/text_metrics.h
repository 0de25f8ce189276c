// Metric families written straight in the Prometheus text exposition format (0.0.4), for
// series too many to keep as prometheus-cpp objects (one or a few per ModelRollout) and for
// values read at scrape time (/proc). A TextMetricsSource appends whole families to the scrape
// body; the helpers below write the lines.
// Every family is written with its # HELP and # TYPE lines even when it has no series, so the
// names a source can export are visible in any scrape.
// Thread-safety: appendTo() may be called from the metrics server's thread while the source
// is being updated; implementations synchronize.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace mr {

class TextMetricsSource {
 public:
  virtual ~TextMetricsSource() = default;
  virtual void appendTo(std::string& out) const = 0;
};

namespace textmetrics {

struct Label {
  std::string_view name;
  std::string_view value;
};

// "# HELP name help\n# TYPE name type\n"; type is gauge | counter.
void appendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type);
// "name{l1="v1",...} value\n" with label values escaped (\\, \", \n); no braces when there are
// no labels. Values: shortest round-trip decimal, NaN, +Inf, -Inf.
void appendSample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                  double value);

}  // namespace textmetrics
}  // namespace mr
