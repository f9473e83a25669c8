#pragma once
// Firing rates of a population over a window: the mean rate (spikes / cells / window, so over the
// whole run it equals the run summary's), each cell's rate, the mean over cells of the ISI
// coefficient of variation (cells with at least 3 spikes in the window), and the fraction of cells
// without a spike. Unlike spike_counts, the window is closed here, start <= t <= stop, as the run
// summary's 0 <= t <= duration (NetPyNE's popRates). The CV is std/mean of a cell's ISIs with the
// population std (ddof 0), as NetPyNE's plotSpikeStats. Throws std::invalid_argument when
// stop <= start, times and node_ids differ in length or a node id is not below cells.
#include "analysis/spike_trains.hpp"

namespace m1::analysis {

struct population_rates {
    double rate_hz = 0;
    double cv_isi = 0;           // NaN when no cell has cv_min_spikes spikes
    double silent_fraction = 0;
    std::vector<double> cell_rates_hz;  // by node id
};

// cv_min_spikes: the fewest spikes a cell needs to count in the CV (3: two ISIs; NetPyNE's
// plotSpikeStats takes cells with more than 10, i.e. 11).
population_rates rates_of(const population_train& train, const window& w,
                          std::size_t cv_min_spikes = 3);

}  // namespace m1::analysis
