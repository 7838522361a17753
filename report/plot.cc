#include "report/plot.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <map>

extern char** environ;

namespace softcheck::report {

std::string ShortSize(size_t n) {
  if (n >= (size_t{1} << 20) && n % (size_t{1} << 20) == 0) return fmt::format("{}M", n >> 20);
  if (n >= 1024 && n % 1024 == 0) return fmt::format("{}K", n >> 10);
  return fmt::format("{}", n);
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// Colours that stay apart for colour-blind readers first (Okabe-Ito), then more.
const char* const kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                "#56B4E9", "#000000", "#F0E442", "#8C564B", "#7F7F7F",
                                "#17BECF", "#BCBD22", "#9467BD", "#1F77B4"};

constexpr double kWidth = 960, kHeight = 620;
constexpr double kLeft = 90, kRight = 700, kTop = 90, kBottom = 530;
constexpr double kBand = 36;  // the non-finite band above the plot area
// A size label at font-size 10: DejaVu Sans digits and capitals are at most
// 0.69 em wide.
constexpr double kLabelCharWidth = 6.9, kLabelHeight = 9;

std::string Marker(const std::string& origin, double x, double y, const char* colour) {
  if (origin == "peer")  // a square, outlined: peers stand out
    return fmt::format(R"svg(<rect x="{:.1f}" y="{:.1f}" width="11" height="11" fill="{}" stroke="#000" stroke-width="1.5"/>)svg",
                       x - 5.5, y - 5.5, colour);
  if (origin == "user")  // a diamond
    return fmt::format(R"svg(<path d="M {:.1f} {:.1f} l 7 7 l -7 7 l -7 -7 z" fill="{}" stroke="#000" stroke-width="1.5"/>)svg",
                       x, y - 7, colour);
  return fmt::format(R"svg(<circle cx="{:.1f}" cy="{:.1f}" r="5" fill="{}"/>)svg", x, y, colour);
}

std::string Decade(int e) {
  if (e >= 0 && e <= 4) return fmt::format("{}", static_cast<long>(std::pow(10, e)));
  if (e >= -3 && e < 0) return fmt::format("{}", std::pow(10, e));
  return fmt::format("1e{}", e);
}

}  // namespace

std::vector<std::optional<Box>> PlaceLabels(const std::vector<std::pair<double, double>>& anchors,
                                            const std::vector<double>& widths, double height,
                                            double r, const Box& area) {
  std::vector<Box> taken;
  taken.reserve(anchors.size() * 2);
  for (const auto& [x, y] : anchors) taken.push_back({x - r, y - r, x + r, y + r});
  std::vector<std::optional<Box>> out;
  out.reserve(anchors.size());
  for (size_t i = 0; i < anchors.size(); ++i) {
    const auto [x, y] = anchors[i];
    const double w = widths[i], h = height, g = r + 2;  // g: the gap to the marker's centre
    // Right-up (the reader's first look), right-down, left-up, left-down,
    // above, below, then right and left on the marker's own line.
    const Box candidates[] = {
        {x + g, y - g - h, x + g + w, y - g},     {x + g, y + g, x + g + w, y + g + h},
        {x - g - w, y - g - h, x - g, y - g},     {x - g - w, y + g, x - g, y + g + h},
        {x - w / 2, y - g - h, x + w / 2, y - g}, {x - w / 2, y + g, x + w / 2, y + g + h},
        {x + g, y - h / 2, x + g + w, y + h / 2}, {x - g - w, y - h / 2, x - g, y + h / 2}};
    std::optional<Box> placed;
    for (const Box& c : candidates) {
      if (c.x0 < area.x0 || c.x1 > area.x1 || c.y0 < area.y0 || c.y1 > area.y1) continue;
      if (std::any_of(taken.begin(), taken.end(), [&](const Box& t) { return t.Overlaps(c); }))
        continue;
      placed = c;
      taken.push_back(c);
      break;
    }
    out.push_back(placed);
  }
  return out;
}

std::string ErrorTimePlotSvg(const PlotSpec& spec) {
  std::vector<const PlotPoint*> pts;
  size_t left_out = 0;
  for (const PlotPoint& p : spec.points) {
    if (std::isfinite(p.x) && p.x > 0) pts.push_back(&p);
    else ++left_out;
  }
  double xlo = 1e300, xhi = 0, ylo = 1e300, yhi = 0;
  for (const PlotPoint* p : pts) {
    xlo = std::min(xlo, p->x);
    xhi = std::max(xhi, p->x);
    if (std::isfinite(p->y) && p->y > 0) {
      ylo = std::min(ylo, p->y);
      yhi = std::max(yhi, p->y);
    }
  }
  if (pts.empty()) xlo = xhi = 1;
  if (yhi == 0) ylo = yhi = 1;
  const int x0 = static_cast<int>(std::floor(std::log10(xlo)));
  const int x1 = std::max(x0 + 1, static_cast<int>(std::ceil(std::log10(xhi))));
  const int y0 = static_cast<int>(std::floor(std::log10(ylo)));
  const int y1 = std::max(y0 + 1, static_cast<int>(std::ceil(std::log10(yhi))));
  auto px = [&](double x) { return kLeft + (std::log10(x) - x0) / (x1 - x0) * (kRight - kLeft); };
  auto py = [&](double y) {
    if (!(y > 0)) return kBottom;  // 0: on the floor
    if (!std::isfinite(y)) return kTop - kBand / 2;
    return kBottom - (std::log10(y) - y0) / (y1 - y0) * (kBottom - kTop);
  };

  std::string s = fmt::format(
      R"svg(<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">
<title>{2}</title>
<rect width="{0}" height="{1}" fill="#fff"/>
<text x="{3}" y="28" font-size="17" font-weight="bold">{2}</text>
)svg",
      kWidth, kHeight, XmlEscape(spec.title), kLeft);
  if (left_out)
    s += fmt::format(R"svg(<text x="{}" y="48" fill="#555">{} point(s) without a time left out</text>
)svg", kLeft, left_out);
  // The non-finite band.
  s += fmt::format(R"svg(<rect x="{}" y="{}" width="{}" height="{}" fill="#fde0dd"/>
<text x="{}" y="{}" fill="#a50f15" text-anchor="end">NaN/inf</text>
)svg", kLeft, kTop - kBand, kRight - kLeft, kBand - 6, kLeft - 6, kTop - kBand / 2 + 4);
  // Grid, ticks and tick labels.
  s += "<g stroke=\"#ddd\" stroke-width=\"1\">\n";
  for (int e = x0; e <= x1; ++e)
    for (int m = 1; m < 10 && (e < x1 || m == 1); ++m) {
      const double x = px(m * std::pow(10, e));
      s += fmt::format(R"svg(<line x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}"{}/>)svg", x, kTop, x, kBottom,
                       m == 1 ? R"svg( stroke="#bbb")svg" : "") + "\n";
    }
  for (int e = y0; e <= y1; ++e)
    for (int m = 1; m < 10 && (e < y1 || m == 1); ++m) {
      const double y = py(m * std::pow(10, e));
      s += fmt::format(R"svg(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}"{}/>)svg", kLeft, y, kRight, y,
                       m == 1 ? R"svg( stroke="#bbb")svg" : "") + "\n";
    }
  s += "</g>\n";
  s += fmt::format(R"svg(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000"/>
)svg", kLeft, kTop, kRight - kLeft, kBottom - kTop);
  for (int e = x0; e <= x1; ++e)
    s += fmt::format(R"svg(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>
)svg", px(std::pow(10, e)), kBottom + 18, Decade(e));
  for (int e = y0; e <= y1; ++e)
    s += fmt::format(R"svg(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>
)svg", kLeft - 6, py(std::pow(10, e)) + 4, Decade(e));
  s += fmt::format(R"svg(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>
<text transform="translate(24 {:.1f}) rotate(-90)" text-anchor="middle">{}</text>
)svg", (kLeft + kRight) / 2, kBottom + 44, XmlEscape(spec.x_label), (kTop + kBottom) / 2,
                   XmlEscape(spec.y_label));
  s += fmt::format(R"svg(<text x="{}" y="{}" fill="#555" font-size="11">error 0 is drawn on the bottom edge; NaN/inf outputs in the band on top</text>
)svg", kLeft, kHeight - 30);

  // Series: colour by first appearance; lines join a series' finite points in size order.
  std::vector<std::string> order;
  std::map<std::string, std::string> origin_of;
  for (const PlotPoint* p : pts)
    if (!origin_of.count(p->series)) {
      order.push_back(p->series);
      origin_of[p->series] = p->origin;
    }
  auto colour = [&](const std::string& series) {
    const size_t i = static_cast<size_t>(std::find(order.begin(), order.end(), series) - order.begin());
    return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
  };
  for (const std::string& series : order) {
    std::string line;
    for (const PlotPoint* p : pts)
      if (p->series == series && std::isfinite(p->y))
        line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "" : " ", px(p->x), py(p->y));
    if (line.find(' ') != std::string::npos)
      s += fmt::format(R"svg(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.2" stroke-opacity="0.6"/>
)svg", line, colour(series));
  }
  // Size labels where they collide with no marker and no other label; the
  // rest are left out (each point's tooltip still names its size).
  std::vector<std::pair<double, double>> anchors;
  std::vector<double> widths;
  for (const PlotPoint* p : pts) {
    anchors.emplace_back(px(p->x), py(p->y));
    widths.push_back(kLabelCharWidth * static_cast<double>(p->label.size()));
  }
  const std::vector<std::optional<Box>> labels = PlaceLabels(
      anchors, widths, kLabelHeight, 7, {kLeft, kTop - kBand, kRight, kBottom + 1});
  size_t unlabelled = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    const PlotPoint* p = pts[i];
    const auto [x, y] = anchors[i];
    std::string text;
    if (labels[i])
      text = fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="10" fill="#333">{}</text>)svg",
                         labels[i]->x0, labels[i]->y1 - 1.5, XmlEscape(p->label));
    else
      ++unlabelled;
    s += fmt::format(R"svg(<g><title>{}: n = {}, {:.3g} ns, {:.3g} ULP</title>{}{}</g>
)svg", XmlEscape(p->series), XmlEscape(p->label), p->x, p->y,
                     Marker(p->origin, x, y, colour(p->series)), text);
  }
  if (unlabelled)
    s += fmt::format(R"svg(<text x="{}" y="{}" fill="#555" font-size="11">{} size label(s) left out where points crowd; hovering a point names it</text>
)svg", kLeft, kHeight - 14, unlabelled);
  // Legend.
  double ly = kTop + 6;
  s += fmt::format(R"svg(<text x="{}" y="{:.1f}" font-weight="bold">implementation</text>
)svg", kRight + 20, ly);
  for (const std::string& series : order) {
    ly += 21;
    const std::string& origin = origin_of[series];
    s += Marker(origin, kRight + 28, ly - 4, colour(series)) + "\n";
    s += fmt::format(R"svg(<text x="{}" y="{:.1f}">{}{}</text>
)svg", kRight + 42, ly, XmlEscape(series), origin == "built-in" ? "" : " (" + origin + ")");
  }
  ly += 30;
  s += fmt::format(R"svg(<text x="{}" y="{:.1f}" font-size="11" fill="#555">circle: built-in; square: peer;</text>
<text x="{}" y="{:.1f}" font-size="11" fill="#555">diamond: your kernel; labels: size n</text>
)svg", kRight + 20, ly, kRight + 20, ly + 15);
  s += "</svg>\n";
  return s;
}

std::string SvgToPng(const std::string& svg_path, const std::string& png_path) {
  std::vector<std::string> args = {"rsvg-convert", "--format=png", "--background-color=white",
                                   "--output", png_path, svg_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawnp(&pid, "rsvg-convert", nullptr, nullptr, argv.data(), environ);
  if (rc != 0)
    return "rsvg-convert not found (Debian package librsvg2-bin): wrote the SVG only";
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "rsvg-convert: waitpid failed";
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fmt::format("rsvg-convert failed on {} (status {})", svg_path, status);
  return "";
}

}  // namespace softcheck::report
