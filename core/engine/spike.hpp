#pragma once
#include "core/engine/recipe.hpp"

namespace m1 {

struct spike {
    double time = 0;  // ms: t_n + 1e-10 for cells (NEURON's threshold detector), exact for
                      // artificial cells
    gid_type gid = 0;
};

}  // namespace m1
