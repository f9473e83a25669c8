#pragma once
// Where a run's parallel work runs: a oneTBB arena as wide as the run's thread share. One is made
// per run (or per m1analyze) and passed down to network building, simulation and analysis, so
// runs side by side each keep to their share and nothing sets a process-wide thread limit.
#include <tbb/task_arena.h>

#include <cstddef>
#include <utility>

namespace m1 {

class execution {
public:
    // `threads` 0: every core oneTBB sees (its default concurrency).
    explicit execution(std::size_t threads = 0);
    execution(const execution&) = delete;
    execution& operator=(const execution&) = delete;

    std::size_t threads() const noexcept { return threads_; }

    // Runs `work` in the arena (its parallel loops use at most threads() threads); returns what
    // `work` returns.
    template <class F>
    decltype(auto) run(F&& work) {
        return arena_.execute(std::forward<F>(work));
    }

private:
    std::size_t threads_;
    tbb::task_arena arena_;
};

}  // namespace m1
