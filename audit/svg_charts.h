// The inline SVG charts of the HTML audit report: self-contained markup (no script, no external
// reference), coloured by the page's CSS. Every mark carries data-bench / data-metric / data-side
// (and data-irq / data-cpu in the heat map) so that tests can count them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "audit/report_fields.h"
#include "core/json.h"

namespace tunectl::audit_report {

// Text made safe for HTML element content and attribute values (& < > " ').
std::string html_escape(const std::string& s);

// Before/after distribution of one metric: one <circle class="run"> per run and side (disturbed
// runs hollow, data-disturbed="true"), a box (quartiles) with a median line per side, the before
// median as a dashed reference across the plot.
std::string distribution_chart(const std::string& bench, const MetricView& m);

// One latency percentile of a benchmark (metric rtt_p99_us: label "p99").
struct PercentileBar {
  std::string metric;
  std::string label;
  std::optional<double> before, after;  // medians
};
// Grouped bars, before and after, per percentile (log scale when the values span > 20x).
std::string percentile_chart(const std::string& bench, const std::string& unit, const std::vector<PercentileBar>& bars);

// IRQ-per-CPU heat map of an audit's irq_heatmap (rows IRQs, columns CPUs, shade by delta), the
// NIC's node CPUs marked in the header. "" when `heatmap` has no usable rows.
std::string irq_heatmap_chart(const json& heatmap);

}  // namespace tunectl::audit_report
