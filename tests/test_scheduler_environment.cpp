// batch/scheduler_environment: an array task's index, count and CPUs from M1BATCH_*, SLURM's and
// PBS's variables, in their order of precedence; malformed values name the variable.
#include "batch/scheduler_environment.hpp"
#include "core/base/error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace m1::batch;

// Sets environment variables for one scope and restores what was there.
class scoped_environment {
public:
    explicit scoped_environment(std::vector<std::pair<std::string, std::string>> vars) {
        for (const char* name : all) {
            const char* old = std::getenv(name);
            saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
            ::unsetenv(name);
        }
        for (const auto& [k, v] : vars) ::setenv(k.c_str(), v.c_str(), 1);
    }
    ~scoped_environment() {
        for (const auto& [k, v] : saved_) {
            if (v) ::setenv(k.c_str(), v->c_str(), 1);
            else ::unsetenv(k.c_str());
        }
    }
    static constexpr const char* all[] = {
        "M1BATCH_TASK_INDEX", "M1BATCH_TASK_COUNT", "M1BATCH_THREADS", "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT",
        "SLURM_CPUS_PER_TASK", "PBS_ARRAY_INDEX", "PBS_ARRAYID", "NCPUS", "PBS_NUM_PPN"};

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(TaskEnvironment, SchedulerVariablesAndTheirPrecedence) {
    {
        scoped_environment env({});
        const task_environment t = read_task_environment();
        EXPECT_FALSE(t.task_index || t.task_count || t.cpus);
    }
    {
        scoped_environment env({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                                {"SLURM_CPUS_PER_TASK", "4"}});
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 2u);
        EXPECT_EQ(t.task_count, 3u);
        EXPECT_EQ(t.cpus, 4u);
        EXPECT_EQ(t.index_from, "SLURM_ARRAY_TASK_ID");
        EXPECT_EQ(t.cpus_from, "SLURM_CPUS_PER_TASK");
    }
    {  // --array=10-20:5 -> tasks 10, 15, 20 are indices 0, 1, 2
        scoped_environment env({{"SLURM_ARRAY_TASK_ID", "15"}, {"SLURM_ARRAY_TASK_MIN", "10"},
                                {"SLURM_ARRAY_TASK_STEP", "5"}});
        EXPECT_EQ(read_task_environment().task_index, 1u);
    }
    {
        scoped_environment env({{"PBS_ARRAY_INDEX", "1"}, {"NCPUS", "8"}});
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 1u);
        EXPECT_EQ(t.cpus, 8u);
        EXPECT_FALSE(t.task_count);  // PBS has none: the template exports M1BATCH_TASK_COUNT
    }
    {
        scoped_environment env({{"PBS_ARRAYID", "3"}, {"PBS_NUM_PPN", "2"}});  // Torque
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 3u);
        EXPECT_EQ(t.cpus, 2u);
        EXPECT_EQ(t.cpus_from, "PBS_NUM_PPN");
    }
    {  // M1BATCH_* win over the scheduler's variables
        scoped_environment env({{"SLURM_ARRAY_TASK_ID", "2"}, {"M1BATCH_TASK_INDEX", "0"},
                                {"SLURM_ARRAY_TASK_COUNT", "3"}, {"M1BATCH_TASK_COUNT", "5"},
                                {"SLURM_CPUS_PER_TASK", "4"}, {"M1BATCH_THREADS", "1"}});
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 0u);
        EXPECT_EQ(t.task_count, 5u);
        EXPECT_EQ(t.cpus, 1u);
        EXPECT_EQ(t.index_from, "M1BATCH_TASK_INDEX");
    }
}

TEST(TaskEnvironment, MalformedValuesNameTheVariable) {
    auto message = [](std::vector<std::pair<std::string, std::string>> vars) -> std::string {
        scoped_environment env(std::move(vars));
        try {
            read_task_environment();
        } catch (const m1::input_error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(message({{"SLURM_CPUS_PER_TASK", "four"}}).find("SLURM_CPUS_PER_TASK"), std::string::npos);
    EXPECT_NE(message({{"SLURM_CPUS_PER_TASK", "0"}}).find(">= 1"), std::string::npos);
    EXPECT_NE(message({{"PBS_ARRAY_INDEX", "-1"}}).find("PBS_ARRAY_INDEX"), std::string::npos);
    EXPECT_NE(message({{"SLURM_ARRAY_TASK_ID", "12"}, {"SLURM_ARRAY_TASK_MIN", "10"},
                       {"SLURM_ARRAY_TASK_STEP", "5"}})
                  .find("not in the array"),
              std::string::npos);
}

}  // namespace
