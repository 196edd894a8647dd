// Inline SVG charts for the HTML audit report (see svg_charts.h).
#include "audit/svg_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <tuple>

namespace tunectl::audit_report {
namespace {

// Coordinates with one decimal: enough for a screen, short markup.
std::string px(double v) {
  if (!std::isfinite(v)) v = 0;  // "nan" in an SVG attribute is a console error; extremes are drawn at 0
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A round tick step giving about `target` ticks over `range`.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

// A linear or logarithmic y axis mapping values to [bottom, top] pixels.
struct Axis {
  double lo = 0, hi = 1, top = 0, bottom = 1;
  bool log = false;
  double y(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return bottom - t * (bottom - top);
  }
  std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      double p = std::pow(10, std::floor(std::log10(lo)));
      for (int decade = 0; decade < 40 && p > 0 && std::isfinite(p) && p <= hi; ++decade, p *= 10)
        for (double m : {1.0, 2.0, 5.0})
          if (p * m >= lo && p * m <= hi) out.push_back(p * m);
      return out;
    }
    const double step = nice_step(hi - lo, 4);
    if (!(step > 0) || !std::isfinite(step)) return out;
    // Counted, not accumulated: at 1e17 adding a step of 5 changes nothing and would never end.
    const double first = std::ceil(lo / step);
    for (int k = 0; k < 12; ++k) {
      const double t = (first + k) * step;
      if (t > hi + step * 1e-9) break;
      out.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
    }
    return out;
  }
};

// Grid lines and labels of `axis` between x0 and x1.
void draw_grid(std::ostream& s, const Axis& axis, double x0, double x1) {
  for (const double t : axis.ticks()) {
    const std::string y = px(axis.y(t));
    s << "<line class=\"grid\" x1=\"" << px(x0) << "\" x2=\"" << px(x1) << "\" y1=\"" << y << "\" y2=\"" << y << "\"/>"
      << "<text class=\"tick\" x=\"" << px(x0 - 5) << "\" y=\"" << y << "\" dy=\"3\" text-anchor=\"end\">"
      << html_escape(num(t)) << "</text>";
  }
}

// Quantile q of sorted values, linear between order statistics.
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(i);
  return i + 1 < sorted.size() ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

std::string marks(const std::string& bench, const std::string& metric, const std::string& side) {
  return " data-bench=\"" + html_escape(bench) + "\" data-metric=\"" + html_escape(metric) + "\" data-side=\"" + side +
         "\"";
}

// One side of a distribution chart: whisker, box and median line left of `cx`, the runs right of it.
void draw_side(std::ostream& s, const Axis& axis, double cx, const std::string& bench, const MetricView& m,
               const std::vector<RunPoint>& runs, const std::string& side) {
  if (runs.empty()) {
    s << "<text class=\"none\" x=\"" << px(cx) << "\" y=\"" << px((axis.top + axis.bottom) / 2)
      << "\" text-anchor=\"middle\">no runs</text>";
    return;
  }
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(r.value);
  std::sort(v.begin(), v.end());
  const std::string attrs = marks(bench, m.metric, side);
  const double bx = cx - 30, bw = 24;
  s << "<line class=\"whisker\"" << attrs << " x1=\"" << px(bx + bw / 2) << "\" x2=\"" << px(bx + bw / 2) << "\" y1=\""
    << px(axis.y(v.front())) << "\" y2=\"" << px(axis.y(v.back())) << "\"/>";
  const double q1 = axis.y(quantile(v, 0.25)), q3 = axis.y(quantile(v, 0.75));
  s << "<rect class=\"box\"" << attrs << " x=\"" << px(bx) << "\" y=\"" << px(q3) << "\" width=\"" << px(bw)
    << "\" height=\"" << px(std::max(1.0, q1 - q3)) << "\"><title>" << side << ": quartiles " << num(quantile(v, 0.25))
    << " to " << num(quantile(v, 0.75)) << ", median " << num(quantile(v, 0.5)) << "</title></rect>";
  const std::string my = px(axis.y(quantile(v, 0.5)));
  s << "<line class=\"median\"" << attrs << " x1=\"" << px(bx - 3) << "\" x2=\"" << px(bx + bw + 3) << "\" y1=\"" << my
    << "\" y2=\"" << my << "\"/>";
  for (size_t i = 0; i < runs.size(); ++i) {
    const double jitter = std::fmod(static_cast<double>(i) * 0.618034, 1.0) * 18;  // spread, same every render
    s << "<circle class=\"run\"" << attrs << (runs[i].disturbed ? " data-disturbed=\"true\"" : "") << " cx=\""
      << px(cx + 6 + jitter) << "\" cy=\"" << px(axis.y(runs[i].value)) << "\" r=\"4\"><title>" << side << " run " << i
      << ": " << html_escape(num(runs[i].value) + (m.unit.empty() ? "" : " " + m.unit))
      << (runs[i].disturbed ? " (disturbed)" : "") << "</title></circle>";
  }
}

// A count that fits a heat-map cell: 950, 12.3k, 123k, 4.5M (the exact number is in the tooltip).
std::string short_count(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a < 1000) return num(v);
  const double scaled = a < 1e6 ? v / 1e3 : a < 1e9 ? v / 1e6 : v / 1e9;
  const char* suffix = a < 1e6 ? "k" : a < 1e9 ? "M" : "G";
  std::snprintf(buf, sizeof buf, std::fabs(scaled) < 100 ? "%.1f%s" : "%.0f%s", scaled, suffix);
  return buf;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string distribution_chart(const std::string& bench, const MetricView& m) {
  constexpr double W = 300, H = 214, left = 58, right = 292, top = 12, bottom = 180;
  std::vector<double> all;
  for (const auto* side : {&m.before, &m.after})
    for (const auto& r : *side) all.push_back(r.value);
  std::ostringstream s;
  s << "<svg class=\"chart dist\" viewBox=\"0 0 " << W << " " << H << "\" width=\"" << W << "\" height=\"" << H
    << "\" role=\"img\"" << marks(bench, m.metric, "both") << "><title>" << html_escape(bench + " " + m.metric)
    << ": runs before and after</title>";
  Axis axis;
  axis.top = top;
  axis.bottom = bottom;
  if (!all.empty()) {
    const auto [mn, mx] = std::minmax_element(all.begin(), all.end());
    const double pad = *mx > *mn ? (*mx - *mn) * 0.08 : std::max(std::fabs(*mn) * 0.05, 1e-9);
    axis.lo = *mn - pad;
    axis.hi = *mx + pad;
    draw_grid(s, axis, left, right);
  }
  const double before_x = left + (right - left) * 0.28, after_x = left + (right - left) * 0.74;
  if (!m.before.empty()) {
    std::vector<double> v;
    for (const auto& r : m.before) v.push_back(r.value);
    std::sort(v.begin(), v.end());
    const std::string y = px(axis.y(quantile(v, 0.5)));
    s << "<line class=\"ref\" x1=\"" << px(left) << "\" x2=\"" << px(right) << "\" y1=\"" << y << "\" y2=\"" << y
      << "\"><title>before median</title></line>";
  }
  draw_side(s, axis, before_x, bench, m, m.before, "before");
  draw_side(s, axis, after_x, bench, m, m.after, "after");
  using Label = std::tuple<double, const char*, size_t>;
  for (const auto& [x, label, n] :
       {Label{before_x, "before", m.before.size()}, Label{after_x, "after", m.after.size()}})
    s << "<text class=\"side-label\" data-side=\"" << label << "\" x=\"" << px(x - 6) << "\" y=\"" << px(bottom + 20)
      << "\" text-anchor=\"middle\">" << label << " (" << n << ")</text>";
  s << "<text class=\"unit\" x=\"10\" y=\"" << px((top + bottom) / 2) << "\" transform=\"rotate(-90 10 "
    << px((top + bottom) / 2) << ")\" text-anchor=\"middle\">" << html_escape(m.unit) << "</text></svg>";
  return s.str();
}

std::string percentile_chart(const std::string& bench, const std::string& unit,
                             const std::vector<PercentileBar>& bars) {
  constexpr double H = 230, left = 58, top = 14, bottom = 186, group = 92, bar = 32;
  const double W = left + group * static_cast<double>(bars.size()) + 14;
  std::vector<double> all;
  for (const auto& b : bars)
    for (const auto& v : {b.before, b.after})
      if (v) all.push_back(*v);
  std::ostringstream s;
  s << "<svg class=\"chart pct\" viewBox=\"0 0 " << px(W) << " " << H << "\" width=\"" << px(W) << "\" height=\"" << H
    << "\" role=\"img\" data-bench=\"" << html_escape(bench) << "\"><title>" << html_escape(bench)
    << ": latency percentiles, median of the runs before and after</title>";
  Axis axis;
  axis.top = top;
  axis.bottom = bottom;
  if (!all.empty()) {
    const auto [mn, mx] = std::minmax_element(all.begin(), all.end());
    axis.log = *mn > 0 && *mx / *mn > 20;
    axis.lo = axis.log ? *mn / 1.6 : 0;
    axis.hi = axis.log ? *mx * 1.6 : (*mx > 0 ? *mx * 1.12 : 1);
    if (!axis.log && *mn < 0) axis.lo = *mn * 1.12;
    draw_grid(s, axis, left, W - 8);
  }
  const double base = axis.log ? bottom : axis.y(std::max(0.0, axis.lo));
  for (size_t i = 0; i < bars.size(); ++i) {
    const double gx = left + group * static_cast<double>(i) + (group - 2 * bar - 4) / 2;
    using Side = std::tuple<const char*, std::optional<double>, double>;
    for (const auto& [side, value, dx] : {Side{"before", bars[i].before, 0.0}, Side{"after", bars[i].after, bar + 4}}) {
      if (!value || (axis.log && *value <= 0)) continue;
      const double y = axis.y(*value);
      const double x = gx + dx;
      s << "<rect class=\"pct-bar\"" << marks(bench, bars[i].metric, side) << " x=\"" << px(x) << "\" y=\""
        << px(std::min(y, base)) << "\" width=\"" << px(bar) << "\" height=\"" << px(std::max(1.0, std::fabs(base - y)))
        << "\"><title>" << html_escape(bars[i].label + " " + side + ": " + num(*value) + " " + unit)
        << "</title></rect>"
        << "<text class=\"bar-value\" x=\"" << px(x + bar / 2) << "\" y=\"" << px(std::min(y, base) - 3)
        << "\" text-anchor=\"middle\">" << html_escape(num(*value)) << "</text>";
    }
    s << "<text class=\"side-label\" x=\"" << px(gx + bar + 2) << "\" y=\"" << px(bottom + 18)
      << "\" text-anchor=\"middle\">" << html_escape(bars[i].label) << "</text>";
  }
  s << "<text class=\"unit\" x=\"10\" y=\"" << px((top + bottom) / 2) << "\" transform=\"rotate(-90 10 "
    << px((top + bottom) / 2) << ")\" text-anchor=\"middle\">" << html_escape(unit) << (axis.log ? ", log scale" : "")
    << "</text></svg>";
  return s.str();
}

std::string irq_heatmap_chart(const json& heatmap) {
  const json& cpus = at(heatmap, "cpus");
  const json& irqs = at(heatmap, "irqs");
  if (!cpus.is_array() || cpus.empty() || !irqs.is_array() || irqs.empty()) return "";
  std::set<std::string> node;
  if (at(heatmap, "node_cpus").is_array())
    for (const auto& c : heatmap["node_cpus"]) node.insert(text(c));
  double max = 0;
  for (const auto& irq : irqs)
    if (at(irq, "delta").is_array())
      for (const auto& d : irq["delta"])
        if (auto v = number(d)) max = std::max(max, *v);
  constexpr double label_w = 230, cell_h = 30, head = 36;
  const double cell_w = cpus.size() <= 14 ? 60 : 44;  // many CPUs: narrower cells, the page scrolls sideways
  const double W = label_w + cell_w * static_cast<double>(cpus.size()) + 4;
  const double H = head + cell_h * static_cast<double>(irqs.size()) + 4;
  std::ostringstream s;
  s << "<svg class=\"chart heat\" viewBox=\"0 0 " << px(W) << " " << px(H) << "\" width=\"" << px(W) << "\" height=\""
    << px(H) << "\" role=\"img\"><title>interrupts per CPU during the audit</title>";
  for (size_t c = 0; c < cpus.size(); ++c) {
    const std::string cpu = text(cpus[c]);
    const bool in_node = node.count(cpu) > 0;
    const double x = label_w + cell_w * (static_cast<double>(c) + 0.5);
    s << "<text class=\"cpu" << (in_node ? " node-cpu" : "") << "\" data-cpu=\"" << html_escape(cpu) << "\" x=\""
      << px(x) << "\" y=\"16\" text-anchor=\"middle\">" << html_escape(cpu) << "</text>";
    if (in_node)
      s << "<path class=\"node-mark\" data-cpu=\"" << html_escape(cpu) << "\" d=\"M" << px(x - 6)
        << " 23 h12 l-6 8 z\"/>";
  }
  for (size_t r = 0; r < irqs.size(); ++r) {
    const json& irq = irqs[r];
    const double y = head + cell_h * static_cast<double>(r);
    std::string label = text(at(irq, "irq")) + " " + text(at(irq, "name"));
    if (at(irq, "kind").is_string())
      label +=
          " (" + irq["kind"].get<std::string>() + (number(at(irq, "queue")) ? " q" + text(irq["queue"]) : "") + ")";
    const std::string shown = label.size() > 32 ? label.substr(0, 31) + "\u2026" : label;
    s << "<text class=\"irq-label\" x=\"" << px(label_w - 8) << "\" y=\"" << px(y + cell_h / 2 + 4)
      << "\" text-anchor=\"end\"><title>" << html_escape(label) << "</title>" << html_escape(shown) << "</text>";
    for (size_t c = 0; c < cpus.size(); ++c) {
      const auto v = number(at(at(irq, "delta"), c));
      const double t = v && max > 0 ? std::sqrt(std::max(0.0, *v) / max) : 0;  // sqrt: small counts stay visible
      char fill[16];
      std::snprintf(fill, sizeof fill, "#%02x%02x%02x", static_cast<int>(247 - t * (247 - 179)),
                    static_cast<int>(247 - t * 247), static_cast<int>(247 - t * 247));
      const double x = label_w + cell_w * static_cast<double>(c);
      s << "<rect class=\"heat-cell\" data-irq=\"" << html_escape(text(at(irq, "irq"))) << "\" data-cpu=\""
        << html_escape(text(cpus[c])) << "\" x=\"" << px(x + 1) << "\" y=\"" << px(y + 1) << "\" width=\""
        << px(cell_w - 2) << "\" height=\"" << px(cell_h - 2) << "\" fill=\"" << (v ? fill : "#e0e0e0") << "\"><title>"
        << html_escape("IRQ " + label + " on CPU " + text(cpus[c]) + ": " + (v ? num(*v) : kDash) + " interrupts")
        << "</title></rect><text class=\"heat-value" << (t > 0.6 ? " dark" : "") << "\" x=\"" << px(x + cell_w / 2)
        << "\" y=\"" << px(y + cell_h / 2 + 4) << "\" text-anchor=\"middle\">"
        << html_escape(v ? short_count(*v) : kDash) << "</text>";
    }
  }
  s << "</svg>";
  return s.str();
}

}  // namespace tunectl::audit_report
