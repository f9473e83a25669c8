#include "core/base/execution.hpp"

#include <tbb/info.h>

namespace m1 {

execution::execution(std::size_t threads)
    : threads_(threads > 0 ? threads : std::size_t(tbb::info::default_concurrency())),
      arena_(static_cast<int>(threads_)) {}

}  // namespace m1
