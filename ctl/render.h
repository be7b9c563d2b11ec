// scs-dpctl's human-readable output: aligned tables built from the daemon's JSON replies
// (docs/scs-dpctl.md). Each renderer takes the "result" member of a reply; one that meets
// a reply it does not know (a newer daemon) prints what it can and never fails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mgmt_json.h"

namespace scs::dpctl {

// Columns padded to their widest cell; a column whose cells are all numbers is right-aligned.
class Table {
  public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.empty(); }
    std::string str(std::string_view indent = "") const;

  private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

std::string render_show(const mgmt::Json& r);
std::string render_stats(const mgmt::Json& r);
std::string render_dump_tables(const mgmt::Json& r);
// Anything else (dump-lflows, trace until they have renderers): indented JSON.
std::string render_generic(const mgmt::Json& r);

}  // namespace scs::dpctl
