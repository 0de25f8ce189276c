#include "scrape_names.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace mr::controller::testing {

std::set<std::string> sampleNames(const std::string& scrape) {
  std::set<std::string> out;
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    out.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return out;
}

std::set<std::string> declaredNames(const std::string& scrape) {
  std::set<std::string> out;
  std::istringstream in(scrape);
  const std::regex type_line(R"(^# TYPE (\S+) (\S+)$)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, type_line)) continue;
    const std::string name = m[1];
    if (m[2] == "histogram" || m[2] == "summary") {
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        out.insert(name + suffix);
    } else {
      out.insert(name);
    }
  }
  return out;
}

std::set<std::string> metricTokens(const std::string& text) {
  std::set<std::string> out;
  const std::regex token(R"(\b(modelrollout|process)_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), token);
       it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace mr::controller::testing
