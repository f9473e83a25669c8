#pragma once
// The MPI executor: a bulletin board. Rank 0 holds the output directory's lock and hands the next
// pending run to whichever worker asks; it does not simulate (it waits in a polling loop that
// sleeps, so it costs a core nothing). Ranks 1..N-1 run one run at a time with oneTBB threads
// inside (by default the node's cores shared among its workers), claim each run in the results
// directory, and report its outcome, so long and short runs balance themselves.
//
// A sweep is one batch of runs on the board. A search (search.hpp) runs on rank 0, and each of its
// generations is a batch on the board; the workers wait between generations (without spinning)
// and keep their networks, until rank 0 says the search is over.
//
// The protocol (JSON text messages; rank 0 is the board):
//   worker -> board, tag 1 (report): {} when ready (its first), else the outcome of its last run
//                                    (run_outcome's JSON) with "run": k and "fault": the
//                                    directory's fault message
//   board -> worker, tag 2 (assign): {"run": k, "spec": the run (sweep_expansion.hpp to_json)},
//                                    k its index in the batch's runs; or {"end": exit code}
#include "batch/executor.hpp"
#include "batch/optimize_file.hpp"

namespace m1::batch {

// Call between MPI_Init and MPI_Finalize, on every rank, with the same sweep. Returns the exit code
// (the same on every rank).
int run_bulletin_board(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                       const batch_options& options, std::ostream& out);

// The search (run_search) on rank 0, its generations' runs handed out by the board to ranks
// 1..N-1. Call between MPI_Init and MPI_Finalize, on every rank, with the same search. Returns the
// exit code (the same on every rank); an exception on rank 0 ends the workers (with the exit code
// main gives it) before it goes on.
int run_search_on_board(const search_spec& search, const batch_options& options, std::ostream& out);

}  // namespace m1::batch
