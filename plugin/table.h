// Column-aligned text tables in kubectl's style: columns separated by three spaces, the last
// column not padded, header row in capitals supplied by the caller.
// Thread-safety: value type; not shared.
#pragma once

#include <string>
#include <vector>

namespace mr::plugin {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, std::string indent = "")
      : indent_(std::move(indent)) {
    rows_.push_back(std::move(header));
  }
  void addRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool hasRows() const { return rows_.size() > 1; }
  // Every line ends with '\n'.
  std::string render() const;

 private:
  std::string indent_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mr::plugin
