// m1batch: runs a run configuration (TOML). Argument parsing and wiring only; the work is in core/.
#include "error.hpp"
#include "run.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"m1batch: simulate the NetPyNE mouse M1 model, fast"};
    std::string config_path;
    std::size_t threads = 0;
    std::string output;
    bool quiet = false;
    app.add_option("config", config_path, "run configuration (TOML)")->required();
    app.add_option("-t,--threads", threads, "worker threads (default: the configuration's, or all cores)");
    app.add_option("-o,--output", output, "output directory (overrides the configuration's)");
    app.add_flag("-q,--quiet", quiet, "print only errors");
    app.set_version_flag("--version", std::string(M1_VERSION));
    CLI11_PARSE(app, argc, argv);

    try {
        m1::run_config config = m1::load_run_config(config_path);
        if (threads > 0) config.threads = threads;
        if (!output.empty()) config.output = output;
        const m1::run_summary summary = m1::run_instance(config, quiet ? nullptr : &std::cerr);
        if (!quiet) m1::print_summary(summary, std::cout);
        return 0;
    } catch (const m1::input_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
