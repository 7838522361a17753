#include "tests/report/xml_check.h"

#include <cctype>
#include <string>
#include <vector>

namespace softcheck::testing {

namespace {

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
}

// Checks the entities in character data or an attribute value.
std::string CheckText(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') return "'<' in text";
    if (s[i] != '&') continue;
    const size_t semi = s.find(';', i);
    if (semi == std::string::npos) return "'&' without ';'";
    const std::string e = s.substr(i + 1, semi - i - 1);
    const bool numeric = e.size() > 1 && e[0] == '#';
    if (!numeric && e != "amp" && e != "lt" && e != "gt" && e != "quot" && e != "apos")
      return "unknown entity &" + e + ";";
    i = semi;
  }
  return "";
}

}  // namespace

std::string CheckXml(const std::string& t) {
  std::vector<std::string> open;
  size_t i = 0;
  int roots = 0;
  while (i < t.size()) {
    if (t[i] != '<') {
      const size_t next = t.find('<', i);
      const std::string text = t.substr(i, next == std::string::npos ? std::string::npos : next - i);
      if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos)
        return "text outside the root element";
      const std::string e = CheckText(text);
      if (!e.empty()) return e;
      if (next == std::string::npos) break;
      i = next;
      continue;
    }
    if (t.compare(i, 5, "<?xml") == 0) {
      if (i != 0) return "XML declaration not at the start";
      const size_t end = t.find("?>", i);
      if (end == std::string::npos) return "unterminated XML declaration";
      i = end + 2;
      continue;
    }
    if (t.compare(i, 4, "<!--") == 0) {
      const size_t end = t.find("-->", i);
      if (end == std::string::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    if (t.compare(i, 2, "</") == 0) {
      size_t j = i + 2;
      while (j < t.size() && NameChar(t[j])) ++j;
      const std::string name = t.substr(i + 2, j - i - 2);
      while (j < t.size() && std::isspace(static_cast<unsigned char>(t[j]))) ++j;
      if (j >= t.size() || t[j] != '>') return "malformed end tag </" + name;
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      open.pop_back();
      i = j + 1;
      continue;
    }
    // A start tag.
    size_t j = i + 1;
    while (j < t.size() && NameChar(t[j])) ++j;
    const std::string name = t.substr(i + 1, j - i - 1);
    if (name.empty()) return "'<' without a tag name";
    bool self_closing = false;
    for (;;) {
      while (j < t.size() && std::isspace(static_cast<unsigned char>(t[j]))) ++j;
      if (j >= t.size()) return "unterminated <" + name;
      if (t[j] == '>') { ++j; break; }
      if (t.compare(j, 2, "/>") == 0) { j += 2; self_closing = true; break; }
      const size_t a = j;
      while (j < t.size() && NameChar(t[j])) ++j;
      if (j == a) return "malformed attribute in <" + name;
      while (j < t.size() && std::isspace(static_cast<unsigned char>(t[j]))) ++j;
      if (j >= t.size() || t[j] != '=') return "attribute without a value in <" + name;
      ++j;
      while (j < t.size() && std::isspace(static_cast<unsigned char>(t[j]))) ++j;
      if (j >= t.size() || (t[j] != '"' && t[j] != '\'')) return "unquoted attribute in <" + name;
      const char q = t[j];
      const size_t end = t.find(q, j + 1);
      if (end == std::string::npos) return "unterminated attribute in <" + name;
      const std::string e = CheckText(t.substr(j + 1, end - j - 1));
      if (!e.empty()) return e + " in an attribute of <" + name + ">";
      j = end + 1;
    }
    if (open.empty()) {
      if (++roots > 1) return "more than one root element";
    }
    if (!self_closing) open.push_back(name);
    i = j;
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  if (roots != 1) return "no root element";
  return "";
}

}  // namespace softcheck::testing
