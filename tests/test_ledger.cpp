// The ledger of a batch (batch/ledger.hpp): a batch of runs that is no sweep file's, in a real
// results directory, with outcomes recorded by hand instead of runs run.
#include "batch/ledger.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace m1::batch;
using m1::test::read_file;

namespace {

run_outcome outcome(run_state state, std::string message = "") {
    run_outcome o;
    o.state = state;
    o.message = std::move(message);
    o.wall_s = 1.5;
    o.spikes = state == run_state::done ? 42 : 0;
    o.mean_rate_hz = state == run_state::done ? 2.5 : 0;
    return o;
}

class Ledger : public ::testing::Test {
protected:
    void SetUp() override {
        dir_.create();
        for (std::size_t i = 0; i < 3; ++i) {
            runs_.emplace_back();
            runs_.back().index = i;
            runs_.back().id = "r" + std::to_string(i);
        }
    }
    ledger make(ledger_mode mode) { return ledger("batch", {}, runs_, dir_, options_, mode, out_); }
    std::string index() const { return read_file(dir_.root() / "index.csv"); }

    m1::test::temporary_directory temp_{"ledger"};
    const results_directory dir_{temp_.path() / "out"};
    std::vector<m1::batch::sweep_run> runs_;
    batch_options options_;
    std::ostringstream out_;
};

TEST_F(Ledger, HandsOutEveryRunOnceThenNone) {
    ledger book = make(ledger_mode::local);
    ASSERT_EQ(book.todo(), (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_EQ(book.take(), 0u);
    EXPECT_EQ(book.take(), 1u);
    EXPECT_EQ(book.take(), 2u);
    EXPECT_EQ(book.take(), std::nullopt);
}

TEST_F(Ledger, FirstLinesSayWhatIsDoneAndWhatRuns) {
    dir_.record_outcome("r1", run_state::failed, "earlier", 1);
    ledger book = make(ledger_mode::local);
    EXPECT_EQ(book.already_failed(), 1u);
    EXPECT_EQ(book.todo(), (std::vector<std::size_t>{0, 2}));
    book.print_start(", one at a time");
    EXPECT_EQ(out_.str(), "batch: 3 runs; 0 done, 1 failed (--retry-failed reruns them); 2 to run, "
                          "one at a time\nresults: " + dir_.root().string() + "\n");
}

TEST_F(Ledger, TheBoardSaysNothingOfEarlierFailures) {
    dir_.record_outcome("r1", run_state::failed, "earlier", 1);
    ledger book = make(ledger_mode::board);
    book.print_start(" on 2 MPI workers (bulletin board)");
    EXPECT_EQ(out_.str(), "batch: 3 runs; 0 done; 2 to run on 2 MPI workers (bulletin board)\n"
                          "results: " + dir_.root().string() + "\n");
}

TEST_F(Ledger, RecordedRunsMakeTheIndexSummaryAndExitCode) {
    ledger book = make(ledger_mode::local);
    book.print_start("");
    for (std::size_t k = 0; k < 3; ++k) ASSERT_EQ(book.take(), k);
    book.record(0, outcome(run_state::done));
    book.record(1, outcome(run_state::failed, "boom"));
    book.record(2, outcome(run_state::done));
    EXPECT_NE(out_.str().find("\nrun r1 failed: boom\n"), std::string::npos) << out_.str();
    EXPECT_EQ(book.finish(), m1::batch::exit_runs_failed);
    EXPECT_NE(out_.str().find("batch: 3 runs in "), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("; sweep 2/3 done, 1 failed\nindex: " +
                              (dir_.root() / "index.csv").string() + "\n"),
              std::string::npos)
        << out_.str();
    // RFC 4180 lines; the runs' seeds are the default ones (format_seeds: "1").
    EXPECT_EQ(index(), "run_id,seed,status,wall_s,spikes,mean_rate_hz,message\r\n"
                       "r0,1,done,1.5,42,2.5,\r\nr1,1,failed,1.5,,,boom\r\nr2,1,done,1.5,42,2.5,\r\n");
}

TEST_F(Ledger, TheBoardPrintsALinePerRunNamingWhereItRan) {
    ledger book = make(ledger_mode::board);
    book.print_start("");
    ASSERT_EQ(book.take(), 0u);
    book.record(0, outcome(run_state::done), "rank 2");
    EXPECT_NE(out_.str().find("[batch] 1/3 runs (1 done, 0 failed), run r0 done on rank 2, ETA "),
              std::string::npos)
        << out_.str();
}

TEST_F(Ledger, ASelectionDoneIsSuccessLocallyButAnIncompleteSweepOnTheBoard) {
    options_.selected = std::vector<std::size_t>{1};
    for (ledger_mode mode : {ledger_mode::local, ledger_mode::board}) {
        ledger book = make(mode);
        ASSERT_EQ(book.todo(), (std::vector<std::size_t>{1}));
        ASSERT_EQ(book.take(), 1u);
        book.record(1, outcome(run_state::done));
        EXPECT_EQ(book.finish(), mode == ledger_mode::local ? m1::batch::exit_ok
                                                            : m1::batch::exit_runs_failed);
    }
    EXPECT_NE(out_.str().find("batch: sweep 1/3 done\nindex: "), std::string::npos) << out_.str();
}

TEST_F(Ledger, ARunAnotherWorkerHadIsReadBackNotCounted) {
    ledger book = make(ledger_mode::local);
    ASSERT_EQ(book.take(), 0u);
    dir_.record_outcome("r0", run_state::interrupted, "elsewhere", 2);
    run_outcome skipped;
    skipped.skipped = true;
    book.record(0, skipped);
    EXPECT_EQ(book.finish(), m1::batch::exit_ok);
    EXPECT_NE(out_.str().find("batch: 0 runs in "), std::string::npos) << out_.str();
    EXPECT_NE(index().find("r0,1,interrupted,2.0,,,elsewhere\r\n"), std::string::npos) << index();
}

TEST_F(Ledger, ADirectoryFaultStopsHandingOutAndFailsTheBatch) {
    ledger book = make(ledger_mode::local);
    ASSERT_EQ(book.take(), 0u);
    dir_.report_fault("no space left on device while writing runs/r0/run.h5");
    EXPECT_EQ(book.take(), std::nullopt);
    book.record(0, outcome(run_state::failed, "no space"));
    EXPECT_EQ(book.finish(), m1::batch::exit_runs_failed);
    EXPECT_NE(out_.str().find("error: no space left on device while writing runs/r0/run.h5; "
                              "stopped with 2 runs not started"),
              std::string::npos)
        << out_.str();
}

TEST_F(Ledger, FollowEndsWhenEveryRunHasEnded) {
    options_.quiet = true;
    ledger book = make(ledger_mode::local);
    for (std::size_t k = 0; k < 3; ++k) ASSERT_EQ(book.take(), k);
    EXPECT_TRUE(book.follow(std::chrono::milliseconds(1)));  // three running
    for (std::size_t k = 0; k < 3; ++k) book.record(k, outcome(run_state::done));
    EXPECT_FALSE(book.follow(std::chrono::milliseconds(1)));
    EXPECT_EQ(book.finish(), m1::batch::exit_ok);
    EXPECT_EQ(out_.str(), "");
}

TEST_F(Ledger, TheIndexOfASweepHasItsParameterColumns) {
    m1::batch::sweep_spec sweep;
    sweep.name = "s";
    sweep.params.emplace_back();
    sweep.params.back().path = "/netParams/x";
    for (auto& r : runs_) r.values = {m1::batch::param_value{0.5}};
    ledger book(sweep, runs_, dir_, options_, ledger_mode::local, out_);
    (void)book.finish();
    EXPECT_EQ(index().substr(0, index().find('\r')), "run_id,/netParams/x,seed,status,wall_s,spikes,"
                                                     "mean_rate_hz,message");
}

TEST(PendingRuns, DoneNeverAgainFailedOnlyWhenAsked) {
    std::vector<m1::batch::index_row> rows(5);
    rows[0].state = m1::batch::run_state::done;
    rows[1].state = m1::batch::run_state::failed;
    rows[2].state = m1::batch::run_state::interrupted;
    rows[3].state = m1::batch::run_state::missing;
    rows[4].state = m1::batch::run_state::done;
    EXPECT_EQ(m1::batch::pending_runs(rows, false), (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(m1::batch::pending_runs(rows, true), (std::vector<std::size_t>{1, 2, 3}));
}


// Array tasks share the runs by position among those the batch covers (all, or the --runs list),
// whatever is done: tasks starting at different times agree on their shares.
TEST(RunsToDo, ATaskTakesEveryCountthRunOfTheSelectionThatIsNotDone) {
    std::vector<m1::batch::index_row> rows(6);
    rows[1].state = m1::batch::run_state::done;
    m1::batch::batch_options options;
    EXPECT_EQ(m1::batch::runs_to_do(rows, options), (std::vector<std::size_t>{0, 2, 3, 4, 5}));
    options.task_index = 1;
    options.task_count = 2;
    EXPECT_EQ(m1::batch::runs_to_do(rows, options), (std::vector<std::size_t>{3, 5}));  // 1 is done
    options.selected = std::vector<std::size_t>{5, 4, 1, 0};  // positions 0, 1, 2, 3
    EXPECT_EQ(m1::batch::runs_to_do(rows, options), (std::vector<std::size_t>{0, 4}));
    options.task_index.reset();
    options.task_count.reset();
    EXPECT_EQ(m1::batch::runs_to_do(rows, options), (std::vector<std::size_t>{0, 4, 5}));
}

}  // namespace
