#include "common/text_metrics.h"

#include <charconv>
#include <cmath>

namespace mr::textmetrics {

void appendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
  out.append(name).append(" ").append(type).append("\n");
}

void appendSample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                  double value) {
  out.append(name);
  if (labels.size() > 0) {
    out.push_back('{');
    bool first = true;
    for (const Label& l : labels) {
      if (!first) out.push_back(',');
      first = false;
      out.append(l.name).append("=\"");
      for (char c : l.value) {
        if (c == '\\') {
          out.append("\\\\");
        } else if (c == '"') {
          out.append("\\\"");
        } else if (c == '\n') {
          out.append("\\n");
        } else {
          out.push_back(c);
        }
      }
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  if (std::isnan(value)) {
    out.append("NaN");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, r.ptr);
  }
  out.push_back('\n');
}

}  // namespace mr::textmetrics
