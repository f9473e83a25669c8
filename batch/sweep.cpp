#include "batch/sweep.hpp"

#include "core/base/text_format.hpp"

#include <algorithm>
#include <charconv>
#include <ostream>

namespace m1::batch {

namespace {

using row = std::vector<std::string>;

row header_of(const sweep_spec& sweep) {
    row header{"run_id"};
    for (const parameter& p : sweep.params) header.push_back(p.path);
    header.push_back("seed");
    return header;
}

row row_of(const sweep_run& run) {
    row fields{run.id};
    for (const param_value& v : run.values) fields.push_back(format_value(v));
    fields.push_back(format_seeds(run.seeds));
    return fields;
}

void print_csv(const row& header, const std::vector<sweep_run>& runs, std::ostream& out) {
    auto line = [&](const row& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i) out << ',';
            out << csv_field(fields[i]);
        }
        out << "\r\n";
    };
    line(header);
    for (const sweep_run& run : runs) line(row_of(run));
}

// A line of the aligned table: the run number right-aligned, the other columns left-aligned.
std::string aligned(const row& fields, const std::vector<std::size_t>& width) {
    std::string text;
    for (std::size_t c = 0; c < fields.size(); ++c) {
        if (c) text += "  ";
        const std::size_t pad = c < width.size() ? width[c] - std::min(width[c], fields[c].size()) : 0;
        if (c == 0) text.append(pad, ' ');
        text += fields[c];
        if (c != 0 && c + 1 < fields.size()) text.append(pad, ' ');
    }
    return text;
}

void print_table(row header, const std::vector<sweep_run>& runs, std::ostream& out) {
    header.insert(header.begin(), "#");
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    std::vector<row> rows;
    rows.reserve(runs.size());
    for (const sweep_run& run : runs) {
        row fields = row_of(run);
        fields.insert(fields.begin(), std::to_string(run.index));
        for (std::size_t c = 0; c < fields.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], fields[c].size());
        rows.push_back(std::move(fields));
    }
    out << aligned(header, width) << '\n';
    for (const row& fields : rows) out << aligned(fields, width) << '\n';
}

}  // namespace

std::string format_value(const param_value& value) {
    char buffer[64];
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
        const auto r = std::to_chars(buffer, buffer + sizeof buffer, *i);
        return std::string(buffer, r.ptr);
    }
    if (const auto* d = std::get_if<double>(&value)) return python_repr(*d);
    if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
    return std::get<std::string>(value);
}

std::string format_seeds(const m1::seeds& seeds) {
    if (seeds.conn == seeds.stim && seeds.stim == seeds.loc) return std::to_string(seeds.conn);
    return std::to_string(seeds.conn) + "/" + std::to_string(seeds.stim) + "/" +
           std::to_string(seeds.loc);
}

void print_runs(const sweep_spec& sweep, const std::vector<sweep_run>& runs, std::ostream& out,
                bool csv) {
    if (csv) return print_csv(header_of(sweep), runs, out);
    print_table(header_of(sweep), runs, out);
    const std::size_t reps = sweep.replicates ? sweep.replicates : 1;
    const std::size_t points = runs.size() / reps;
    out << runs.size() << (runs.size() == 1 ? " run (" : " runs (") << points
        << (points == 1 ? " point x " : " points x ") << reps
        << (reps == 1 ? " replicate)" : " replicates)") << '\n';
}

}  // namespace m1::batch
