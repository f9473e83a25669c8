#pragma once
// The MPI executor: a bulletin board. Rank 0 holds the output directory's lock and hands the next
// pending run to whichever worker asks; it does not simulate (it waits in a polling loop that
// sleeps, so it costs a core nothing). Ranks 1..N-1 run one run at a time with oneTBB threads
// inside (by default the node's cores shared among its workers), claim each run in the results
// directory, and report its outcome, so long and short runs balance themselves.
#include "batch/executor.hpp"

namespace m1::batch {

// Call between MPI_Init and MPI_Finalize, on every rank, with the same sweep. Returns the exit code
// (the same on every rank).
int run_bulletin_board(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                       const batch_options& options, std::ostream& out);

}  // namespace m1::batch
