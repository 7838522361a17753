// The report's plot: error against time per element, log-log, one point per
// implementation and size, written as SVG by hand.
//
// Why hand-written SVG: the plot is one scatter with a legend; writing it
// takes a page of code, needs no package and no subprocess, is byte-for-byte
// deterministic (the committed docs/report/ files diff cleanly), and the test
// suite can check what it contains. gnuplot or matplotlib would add a
// dependency (and Python) for nothing the report needs. The PNG beside it is
// rendered from the same SVG by rsvg-convert (Debian's librsvg2-bin), when it
// is installed.
#ifndef SOFTCHECK_REPORT_PLOT_H_
#define SOFTCHECK_REPORT_PLOT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace softcheck::report {

struct PlotPoint {
  std::string series;  // the implementation
  std::string origin;  // "built-in", "peer", "user": peers and users get their own markers
  std::string label;   // the size, printed beside the point ("1K")
  double x = 0;        // time per element, ns (> 0)
  double y = 0;        // error (ULP); 0 is drawn at the axis floor, inf/NaN in a band on top
};

struct PlotSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<PlotPoint> points;
};

// A box on the page, in SVG user units (y grows downwards).
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool Overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

// Where each point's label goes: beside its marker (anchors[i], marker
// half-size `r`), on the first of eight places, right-up first, that overlaps
// no marker, no label placed before it and stays inside `area`; no box (the
// label is left out) where none does. widths[i] is the label's width,
// `height` every label's height.
std::vector<std::optional<Box>> PlaceLabels(const std::vector<std::pair<double, double>>& anchors,
                                            const std::vector<double>& widths, double height,
                                            double r, const Box& area);

// A complete, standalone SVG document. Points with x <= 0 or non-finite x
// (not measured) are left out and counted in a note under the title.
std::string ErrorTimePlotSvg(const PlotSpec& spec);

// Renders svg_path to png_path with rsvg-convert. "" on success, otherwise
// one line saying why (not installed, failed).
std::string SvgToPng(const std::string& svg_path, const std::string& png_path);

// "64", "1K", "16K", "1M": a size as the plot labels it.
std::string ShortSize(size_t n);

// Text escaped for XML character data and attribute values.
std::string XmlEscape(const std::string& s);

}  // namespace softcheck::report

#endif  // SOFTCHECK_REPORT_PLOT_H_
