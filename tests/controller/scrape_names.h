// Helpers for tests that read a Prometheus text scrape and PromQL text.
#pragma once

#include <set>
#include <string>

namespace mr::controller::testing {

// Names of the samples in a text exposition (histograms give _bucket/_sum/_count).
std::set<std::string> sampleNames(const std::string& scrape);
// Names of the families declared by # TYPE lines, with a histogram's _bucket/_sum/_count.
std::set<std::string> declaredNames(const std::string& scrape);
// Every token of `text` that looks like one of our metric names (modelrollout_* or process_*).
std::set<std::string> metricTokens(const std::string& text);
// Whole file as a string ("" when missing).
std::string readFile(const std::string& path);

}  // namespace mr::controller::testing
