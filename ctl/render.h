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
    // Pads column `col` to at most `w` characters: longer cells overflow and shift the rest
    // of their row (long match expressions would otherwise widen every row).
    void cap(std::size_t col, std::size_t w) {
        if (caps_.size() <= col) caps_.resize(col + 1, 0);
        caps_[col] = w;
    }
    bool empty() const { return rows_.empty(); }
    std::string str(std::string_view indent = "") const;

  private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<std::size_t> caps_;  // 0: no cap
};

std::string render_show(const mgmt::Json& r);
std::string render_stats(const mgmt::Json& r);
std::string render_dump_tables(const mgmt::Json& r);
// uuid: add each flow's Southbound UUID as a column (dump-lflows --uuid).
std::string render_dump_lflows(const mgmt::Json& r, bool uuid);
std::string render_trace(const mgmt::Json& r);
std::string render_lflow_check(const mgmt::Json& r);  // ctl/lflow_check.h's report
// Anything without a renderer: indented JSON.
std::string render_generic(const mgmt::Json& r);

}  // namespace scs::dpctl
