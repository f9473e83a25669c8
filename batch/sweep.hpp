#pragma once
// A sweep (README "Sweeps"): its file (sweep_file.hpp: the run keys, the [sweep] table, the
// parameters), its runs (sweep_expansion.hpp) and the table m1batch --dry-run prints of them.
#include "batch/sweep_expansion.hpp"
#include "batch/sweep_file.hpp"
#include "core/run/run.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace m1::batch {

// A value as the dry-run table, the CSV and the index print it: floats in shortest round-trip form
// laid out as Python's repr ("0.0003", "1.0", "1e-05"), integers as integers, strings as they are,
// booleans true/false.
std::string format_value(const param_value& value);
// The seed column: the common value when conn, stim and loc are equal, else "conn/stim/loc".
std::string format_seeds(const m1::seeds& seeds);

// `m1batch --dry-run`: an aligned table (csv = false) or RFC 4180 CSV with the header run_id,
// each parameter path as given, seed.
void print_runs(const sweep_spec& sweep, const std::vector<sweep_run>& runs, std::ostream& out,
                bool csv);

}  // namespace m1::batch
